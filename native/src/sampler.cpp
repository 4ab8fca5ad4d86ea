// Cached sampling: one position at a time, each node of the graph computing only that
// position's output from caches of its input, so an image costs about one forward pass.
//
// What a node needs at position (y, x): a k x k convolution reads its input at its live taps,
// which lie in rows y - k/2 .. y, so its input buffer is cached as a ring of the rows the
// deepest tap reaches back (row r in slot r % rows); every other node reads its input at
// (y, x) only, so those buffers keep one position per image. Slots of the current row right of
// x hold stale values from an older row; no live tap reads them.
// Colour: sub-step g of a pixel computes channel group g of every node's output. Groups < g
// were computed in earlier sub-steps and do not depend on image channel g (the masks); groups
// > g meet masked (zero) weights, so stale values there do not matter.
#include <algorithm>
#include <cstdlib>
#include <string>

#include "core/check.h"
#include "core/memory.h"
#include "execute.h"
#include "pixelcnn/pixelcnn.h"
#include "sampler_impl.h"

namespace pixelcnn {

namespace {

// Buffers whose values at row y depend on rows above y only: every buffer but those a node
// writes from the current row of one that does (the encoded image does), found by propagation.
std::vector<bool> row_buffers(const net::Graph& g) {
    std::vector<bool> current(g.buffers.size(), false);
    current[g.input_buffer] = true;
    for (bool changed = true; changed;) {
        changed = false;
        for (const net::Node& n : g.nodes) {
            if (n.output < 0 || n.input < 0 || !current[n.input] || current[n.output]) continue;
            bool reads_current_row = true;  // pointwise nodes read (y, x)
            if (n.conv >= 0) {
                const net::MaskedConv& conv = g.convs[n.conv];
                reads_current_row = false;
                for (int t = 0; t < conv.taps; ++t) reads_current_row = reads_current_row || conv.tap_dy[t] == 0;
            }
            if (reads_current_row) current[n.output] = changed = true;
        }
    }
    std::vector<bool> row(g.buffers.size());
    for (size_t b = 0; b < row.size(); ++b) row[b] = !current[b];
    return row;
}

// Rows of a buffer the sampler must keep: 0 (the current position only) unless a k x k
// convolution reads it or it is computed a row at a time; throws if a node would read a later
// position than the one being drawn.
std::vector<int> cache_rows(const net::Graph& g, const std::vector<bool>& row_buffer) {
    std::vector<int> rows(g.buffers.size(), 0);
    for (size_t b = 0; b < rows.size(); ++b)
        if (row_buffer[b]) rows[b] = 1;
    for (const net::Node& n : g.nodes) {
        if (n.conv < 0) continue;
        const net::MaskedConv& conv = g.convs[n.conv];
        PCNN_REQUIRE(conv.mask.groups == g.image_channels,
                     "cached sampler: " << n.name << " has " << conv.mask.groups
                                        << " channel groups, expected one per image channel (" << g.image_channels << ")");
        if (conv.pointwise()) continue;
        for (int t = 0; t < conv.taps; ++t) {
            const int dy = conv.tap_dy[t], dx = conv.tap_dx[t];
            PCNN_REQUIRE(dy < 0 || (dy == 0 && dx <= 0) || row_buffer[n.input],
                         "cached sampler: " << n.name << " reads a later position (" << dy << ", " << dx
                                            << ") of a buffer computed per pixel");
            rows[n.input] = std::max(rows[n.input], 1 - dy);
        }
    }
    return rows;
}

}  // namespace

SamplerImpl::SamplerImpl(ModelImpl& model, int n) : m(model), count(n) {
    const net::Graph& g = m.graph;
    const std::vector<bool> row_buffer = row_buffers(g);
    const std::vector<int> rows = cache_rows(g, row_buffer);
    for (const net::Node& n : g.nodes) row_node.push_back(n.output >= 0 && row_buffer[n.output]);
    for (size_t b = 0; b < g.buffers.size(); ++b) {
        CacheView view;
        view.rows = rows[b];
        view.width = m.cfg.width;
        view.channels = g.buffers[b].channels;
        caches.push_back(view);
    }
    for (const net::MaskedConv& conv : g.convs)
        if (!conv.pointwise()) col_stride = std::max(col_stride, conv.packed_rows());
    const int64_t col_floats = static_cast<int64_t>(m.backend->team_size()) * count * col_stride;
    double floats = static_cast<double>(col_floats);
    for (const CacheView& view : caches) floats += static_cast<double>(count) * view.image_stride();
    require_memory(sizeof(float) * floats, "a sampler for " + std::to_string(count) + " images");
    for (CacheView& view : caches) {
        cache_memory.push_back(Buffer::floats(*m.backend, count * view.image_stride()));
        view.data = cache_memory.back().f();
    }
    for (size_t k = 0; k < g.nodes.size(); ++k) fused_relu.push_back(exec::sampler_fused_relu(*this, k));
    col = Buffer::floats(*m.backend, col_floats);
    if (m.cfg.classes > 0) labels = Buffer(*m.backend, sizeof(int) * static_cast<size_t>(count));
    program = exec::row_program(*this);
}

// The column team is off unless asked for (PIXELCNN4J_SAMPLER_TEAM=1): measured on 2 cores of an
// AMD EPYC at batch 1 it took 28 ms an image against 15 ms for one thread, because a member's
// share of a 64-wide layer is 32 columns, a GEMM row whose two accumulator chains wait on FMA
// latency, and the 22 meetings a pixel cost 0.14 to 0.2 us each. It is kept, tested bit for
// bit, for wider layers and more cores.
bool SamplerImpl::use_team() const {
    const int team = m.backend->team_size();
    if (team <= 1 || split == SamplerSplit::ImageShares) return false;
    if (split == SamplerSplit::ColumnTeam) return true;
    const char* wanted = std::getenv("PIXELCNN4J_SAMPLER_TEAM");
    return wanted != nullptr && std::string(wanted) == "1" && count < kTeamBelow * team;
}

// A team meets before a node that reads columns other members wrote: a convolution reads all of
// its input's, a gate both halves of its group.
static bool reads_other_columns(const net::Node& n) { return n.conv >= 0 || n.op == net::Op::Gate; }

void SamplerImpl::row_pass(int n0, int n1, int y, const exec::ColumnShare& share, float* own_col,
                           TeamMember* member) {
    const auto& nodes = m.graph.nodes;
    for (size_t k = 0; k < nodes.size(); ++k) {
        if (!row_node[k]) continue;
        if (member && reads_other_columns(nodes[k])) member->sync();
        const int relu = fused_relu[k];
        for (int x = 0; x < m.cfg.width; ++x)
            for (int g = 0; g < m.cfg.channels; ++g)
                exec::step(*this, nodes[k], n0, n1, y, x, g, share, own_col, relu >= 0 ? &nodes[relu] : nullptr);
        if (relu >= 0) k = relu;
    }
}

void SamplerImpl::step(int n0, int n1, int y, int x, int group) {
    const exec::ColumnShare whole;
    const auto& nodes = m.graph.nodes;
    for (size_t k = 0; k < nodes.size(); ++k) {
        if (row_node[k]) continue;
        const int relu = fused_relu[k];
        exec::step(*this, nodes[k], n0, n1, y, x, group, whole, col.f(), relu >= 0 ? &nodes[relu] : nullptr);
        if (relu >= 0) k = relu;
    }
}

// Members meet before every convolution (it reads every column of its input, written by all of
// them) and before the draw (it reads every logit); ReLUs touch only their own member's columns.
// The draw is member 0's; the meeting before the next input convolution covers what it wrote.
void SamplerImpl::team_pixel(TeamMember& member, const DrawSpec& spec, int y, int x) {
    exec::ColumnShare share;
    share.part = member.part();
    share.parts = member.parts();
    float* own_col = col.f() + static_cast<int64_t>(share.part) * count * col_stride;
    const CacheView& logits = caches[m.graph.logits_buffer];
    const CacheView& input = caches[m.graph.input_buffer];
    const auto& nodes = m.graph.nodes;
    for (int ch = 0; ch < m.cfg.channels; ++ch) {
        for (size_t k = 0; k < nodes.size(); ++k) {
            if (row_node[k]) continue;
            if (reads_other_columns(nodes[k])) member.sync();
            const int relu = fused_relu[k];
            exec::step(*this, nodes[k], 0, count, y, x, ch, share, own_col, relu >= 0 ? &nodes[relu] : nullptr);
            if (relu >= 0) k = relu;
        }
        member.sync();
        if (share.part == 0) m.backend->draw_at(spec, logits, input, 0, count, y, x, ch);
    }
    if (after_pixel) {
        member.sync();
        if (share.part == 0) after_pixel(y, x);
    }
}

void SamplerImpl::sample_row(unsigned char* images, const unsigned char* known, const int* image_labels, int row,
                             long long seed, long long first_index, float temperature) {
    const Config& c = m.cfg;
    m.check_sampling_args(images, count, row, first_index, temperature, "cached sampler");
    m.check_labels(image_labels, count, "cached sampler");
    PCNN_REQUIRE(row == next_row, "cached sampler: rows must come in order; expected row "
                                      << next_row << ", got " << row << " (call reset to start over)");
    // Earlier rows' caches were computed for these labels: they hold for the whole image.
    if (image_labels && row == 0) {
        host_labels.assign(image_labels, image_labels + count);
        m.backend->upload(labels.i(), image_labels, sizeof(int) * static_cast<size_t>(count));
    } else if (image_labels) {
        for (int i = 0; i < count; ++i)
            PCNN_REQUIRE(image_labels[i] == host_labels[i],
                         "cached sampler: label of image " << i << " changed from " << host_labels[i] << " to "
                                                           << image_labels[i] << " at row " << row
                                                           << "; an image keeps its label at every row");
    }
    DrawSpec spec;
    spec.images = images;
    spec.known = known;
    spec.channels = c.channels;
    spec.height = c.height;
    spec.width = c.width;
    spec.bernoulli = c.head == HEAD_BERNOULLI;
    spec.levels = c.levels;
    spec.temperature = temperature;
    spec.seed = seed;
    spec.first_index = first_index;
    spec.input_scale = m.input_scale();
    const CacheView& logits = caches[m.graph.logits_buffer];
    const CacheView& input = caches[m.graph.input_buffer];
    m.backend->prepare();
    m.backend->begin_sampled_row(spec, count, row);
    // A backend that runs the row at once (a GPU) does, unless a test watches each pixel.
    if (!after_pixel && split == SamplerSplit::Auto && m.backend->sample_row_at_once(program, spec, count, row)) {
        m.backend->end_sampled_row(spec, count, row);
        next_row = row + 1 == c.height ? 0 : row + 1;
        return;
    }
    if (use_team()) {
        m.backend->run_team([&](TeamMember& member) {
            exec::ColumnShare share;
            share.part = member.part();
            share.parts = member.parts();
            row_pass(0, count, row, share, col.f() + static_cast<int64_t>(share.part) * count * col_stride, &member);
            for (int x = 0; x < c.width; ++x) team_pixel(member, spec, row, x);
        });
        m.backend->end_sampled_row(spec, count, row);
        next_row = row + 1 == c.height ? 0 : row + 1;
        return;
    }
    // Images are independent: each share goes through the whole row on its own. The test hook
    // needs all images of a pixel done, so it runs the images in one share.
    const int64_t min_share = after_pixel ? count : 1;
    m.backend->for_each_image_share(count, min_share, [&](int n0, int n1) {
        row_pass(n0, n1, row, exec::ColumnShare(), col.f(), nullptr);
        for (int x = 0; x < c.width; ++x) {
            for (int ch = 0; ch < c.channels; ++ch) {
                step(n0, n1, row, x, ch);
                m.backend->draw_at(spec, logits, input, n0, n1, row, x, ch);
            }
            if (after_pixel) after_pixel(row, x);
        }
    });
    m.backend->end_sampled_row(spec, count, row);
    next_row = row + 1 == c.height ? 0 : row + 1;
}

CachedSampler::CachedSampler(Model& model, int count) : impl_(nullptr) {
    PCNN_REQUIRE(count > 0, "cached sampler: expected at least one image, got " << count);
    PCNN_REQUIRE(count <= 1 << 20, "cached sampler: expected at most 1048576 images, got " << count);
    impl_ = new SamplerImpl(*model.impl_, count);
}

CachedSampler::~CachedSampler() { delete impl_; }

int CachedSampler::count() const { return impl_->count; }
int CachedSampler::next_row() const { return impl_->next_row; }
void CachedSampler::reset() { impl_->next_row = 0; }

void CachedSampler::sample_row(unsigned char* images, const unsigned char* known, int row, long long seed,
                               long long first_index, float temperature) {
    impl_->sample_row(images, known, nullptr, row, seed, first_index, temperature);
}

void CachedSampler::sample_row(unsigned char* images, const unsigned char* known, const int* labels, int row,
                               long long seed, long long first_index, float temperature) {
    impl_->sample_row(images, known, labels, row, seed, first_index, temperature);
}

}  // namespace pixelcnn
