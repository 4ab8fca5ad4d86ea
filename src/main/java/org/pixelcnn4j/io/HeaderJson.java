package org.pixelcnn4j.io;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.pixelcnn4j.MalformedModelException;

/**
 * The JSON of a safetensors header: a strict parser of the subset safetensors uses (objects,
 * strings, integers and arrays of integers) and the string escaping the writer uses. Objects
 * become {@link LinkedHashMap}s (file order), arrays {@code long[]}, integers {@link Long};
 * anything else is rejected with the character position of the problem.
 */
final class HeaderJson {
    /** The header nests only two levels deep; the limit stops malicious input from overflowing the stack. */
    private static final int MAX_DEPTH = 8;

    private final String text;
    private final Path file;
    private int pos;

    HeaderJson(String text, Path file) {
        this.text = text;
        this.file = file;
    }

    Map<String, Object> parseHeader() throws MalformedModelException {
        skipWhitespace();
        if (peek() != '{') {
            throw error("expected the header to be a JSON object starting with '{'");
        }
        Map<String, Object> header = parseObject(1);
        skipWhitespace();
        if (pos < text.length()) {
            throw error("expected only space padding after the header object, got '" + text.charAt(pos) + "'");
        }
        return header;
    }

    private Object parseValue(int depth) throws MalformedModelException {
        char c = peek();
        if (c == '{') {
            return parseObject(depth + 1);
        }
        if (c == '"') {
            return parseString();
        }
        if (c == '[') {
            return parseIntegerArray();
        }
        if (c == '-' || (c >= '0' && c <= '9')) {
            return parseInteger();
        }
        if (c == 0 && pos >= text.length()) {
            throw error("unexpected end of header, expected a value");
        }
        throw error("unsupported JSON value starting with '" + c
                + "', expected an object, string, integer or array of integers");
    }

    private Map<String, Object> parseObject(int depth) throws MalformedModelException {
        if (depth > MAX_DEPTH) {
            throw error("objects nested deeper than " + MAX_DEPTH + " levels");
        }
        expect('{');
        Map<String, Object> object = new LinkedHashMap<>();
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            return object;
        }
        while (true) {
            skipWhitespace();
            if (peek() != '"') {
                throw error("expected a string key");
            }
            int keyPosition = pos;
            String key = parseString();
            skipWhitespace();
            expect(':');
            skipWhitespace();
            Object value = parseValue(depth);
            if (object.putIfAbsent(key, value) != null) {
                throw errorAt(keyPosition, "duplicate key '" + key + "'");
            }
            skipWhitespace();
            char c = peek();
            if (c == ',') {
                pos++;
            } else if (c == '}') {
                pos++;
                return object;
            } else {
                throw error("expected ',' or '}' in object");
            }
        }
    }

    private long[] parseIntegerArray() throws MalformedModelException {
        expect('[');
        long[] values = new long[4];
        int size = 0;
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            return new long[0];
        }
        while (true) {
            skipWhitespace();
            char c = peek();
            if (c != '-' && (c < '0' || c > '9')) {
                throw error("expected an integer in array");
            }
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = parseInteger();
            skipWhitespace();
            c = peek();
            if (c == ',') {
                pos++;
            } else if (c == ']') {
                pos++;
                return Arrays.copyOf(values, size);
            } else {
                throw error("expected ',' or ']' in array");
            }
        }
    }

    private long parseInteger() throws MalformedModelException {
        int start = pos;
        boolean negative = false;
        if (peek() == '-') {
            negative = true;
            pos++;
        }
        char first = peek();
        if (first < '0' || first > '9') {
            throw error("expected a digit");
        }
        if (first == '0' && pos + 1 < text.length() && Character.isDigit(text.charAt(pos + 1))) {
            throw error("leading zeros are not allowed in JSON numbers");
        }
        long value = 0;
        while (pos < text.length() && text.charAt(pos) >= '0' && text.charAt(pos) <= '9') {
            int digit = text.charAt(pos) - '0';
            // Accumulate negatively so that Long.MIN_VALUE is representable.
            if (value < (Long.MIN_VALUE + digit) / 10) {
                throw errorAt(start, "integer does not fit in 64 bits");
            }
            value = value * 10 - digit;
            pos++;
        }
        char next = peek();
        if (next == '.' || next == 'e' || next == 'E') {
            throw errorAt(start, "expected an integer, got a floating-point number");
        }
        if (!negative) {
            if (value == Long.MIN_VALUE) {
                throw errorAt(start, "integer does not fit in 64 bits");
            }
            value = -value;
        }
        return value;
    }

    private String parseString() throws MalformedModelException {
        expect('"');
        StringBuilder result = new StringBuilder();
        while (true) {
            if (pos >= text.length()) {
                throw error("unterminated string");
            }
            char c = text.charAt(pos);
            if (c == '"') {
                pos++;
                return result.toString();
            }
            if (c < 0x20) {
                throw error("unescaped control character 0x" + Integer.toHexString(c) + " in string");
            }
            if (c != '\\') {
                result.append(c);
                pos++;
                continue;
            }
            if (pos + 1 >= text.length()) {
                throw error("unterminated escape sequence");
            }
            char escaped = text.charAt(pos + 1);
            switch (escaped) {
                case '"': result.append('"'); break;
                case '\\': result.append('\\'); break;
                case '/': result.append('/'); break;
                case 'b': result.append('\b'); break;
                case 'f': result.append('\f'); break;
                case 'n': result.append('\n'); break;
                case 'r': result.append('\r'); break;
                case 't': result.append('\t'); break;
                case 'u':
                    if (pos + 6 > text.length()) {
                        throw error("truncated \\u escape, expected 4 hex digits");
                    }
                    int code = 0;
                    for (int i = pos + 2; i < pos + 6; i++) {
                        int digit = Character.digit(text.charAt(i), 16);
                        if (digit < 0) {
                            throw error("invalid \\u escape, expected 4 hex digits");
                        }
                        code = code * 16 + digit;
                    }
                    result.append((char) code);
                    pos += 4;
                    break;
                default:
                    throw error("invalid escape sequence '\\" + escaped + "'");
            }
            pos += 2;
        }
    }

    private void skipWhitespace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    /** Returns the current character, or 0 at the end of the text. */
    private char peek() {
        return pos < text.length() ? text.charAt(pos) : 0;
    }

    private void expect(char c) throws MalformedModelException {
        if (peek() != c || pos >= text.length()) {
            throw error("expected '" + c + "'");
        }
        pos++;
    }

    private MalformedModelException error(String problem) {
        return errorAt(pos, problem);
    }

    private MalformedModelException errorAt(int position, String problem) {
        String found = position < text.length()
                ? "near '" + snippet(position) + "'"
                : "at end of header";
        return Safetensors.malformed(file, "malformed header JSON at character " + position + ": " + problem + " (" + found
                + ")");
    }

    private String snippet(int position) {
        String raw = text.substring(position, Math.min(text.length(), position + 16));
        StringBuilder printable = new StringBuilder();
        for (char c : raw.toCharArray()) {
            printable.append(c < 0x20 || c == 0x7f ? '?' : c);
        }
        return printable.toString();
    }

    static String kind(Object value) {
        if (value == null) {
            return "nothing";
        }
        if (value instanceof Map) {
            return "an object";
        }
        if (value instanceof String) {
            return "a string";
        }
        if (value instanceof Long) {
            return "an integer";
        }
        return "an array";
    }

    /** Appends {@code value} as a JSON string (quoted, escaped) to {@code json}. */
    static void appendString(StringBuilder json, String value) {
        json.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"': json.append("\\\""); break;
                case '\\': json.append("\\\\"); break;
                case '\n': json.append("\\n"); break;
                case '\r': json.append("\\r"); break;
                case '\t': json.append("\\t"); break;
                case '\b': json.append("\\b"); break;
                case '\f': json.append("\\f"); break;
                default:
                    boolean pairedSurrogate = Character.isHighSurrogate(c) && i + 1 < value.length()
                            && Character.isLowSurrogate(value.charAt(i + 1));
                    if (pairedSurrogate) {
                        json.append(c).append(value.charAt(++i));
                    } else if (c < 0x20 || Character.isSurrogate(c)) {
                        // Control characters must be escaped; lone surrogates have no UTF-8 form.
                        json.append(String.format("\\u%04x", (int) c));
                    } else {
                        json.append(c);
                    }
            }
        }
        json.append('"');
    }
}
