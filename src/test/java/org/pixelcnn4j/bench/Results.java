package org.pixelcnn4j.bench;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Measurements by key (for example {@code training/fm-binary/b32}) and side (for example
 * {@code engine}, {@code libtorch}; sides measured in the tuned child process carry the prefix
 * {@code tuned:}).
 */
final class Results {

    /** Timings of one side: seconds per repetition and the images (or operations) each one does. */
    record Entry(Stats stats, double units) {
        /** @return units per second at the median time */
        double rate() {
            return units / stats.median();
        }

        /** @return the slowest repetition's rate */
        double rateMin() {
            return units / stats.max();
        }

        /** @return the fastest repetition's rate */
        double rateMax() {
            return units / stats.min();
        }

        Map<String, Object> toJson(String rateName) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put(rateName, medianMinMax(rate(), rateMin(), rateMax()));
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("median", stats.median());
            s.put("min", stats.min());
            s.put("max", stats.max());
            s.put("all", stats.seconds());
            m.put("seconds", s);
            m.put("units_per_repetition", units);
            return m;
        }
    }

    /** An ordered {median, min, max} map for the JSON report. */
    static Map<String, Object> medianMinMax(double median, double min, double max) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("median", median);
        m.put("min", min);
        m.put("max", max);
        return m;
    }

    private final Map<String, Map<String, Entry>> entries = new LinkedHashMap<>();
    private final boolean emit;

    /** @param emit whether to print every entry as a machine-readable {@code @@R} line */
    Results(boolean emit) {
        this.emit = emit;
    }

    void put(String key, String side, Stats stats, double units) {
        entries.computeIfAbsent(key, k -> new LinkedHashMap<>()).put(side, new Entry(stats, units));
        if (emit) {
            StringBuilder sb = new StringBuilder("@@R ").append(key).append(' ').append(side).append(' ')
                    .append(units).append(' ');
            double[] s = stats.seconds();
            for (int i = 0; i < s.length; i++) {
                sb.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT, "%.6e", s[i]));
            }
            System.out.println(sb);
            System.out.flush();
        }
    }

    /** Parses an {@code @@R} line of a child process and stores it under {@code prefix + side}. */
    void putLine(String line, String prefix) {
        String[] f = line.trim().split(" ");
        String[] parts = f[4].split(",");
        double[] s = new double[parts.length];
        for (int i = 0; i < s.length; i++) {
            s[i] = Double.parseDouble(parts[i]);
        }
        put(f[1], prefix + f[2], new Stats(s), Double.parseDouble(f[3]));
    }

    /** @return the entry or null */
    Entry get(String key, String side) {
        Map<String, Entry> m = entries.get(key);
        return m == null ? null : m.get(side);
    }
}
