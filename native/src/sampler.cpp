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

// Rows of a buffer the sampler must keep: 0 (the current position only) unless a k x k
// convolution reads it; throws if a node would read a later position than the one being drawn.
std::vector<int> cache_rows(const net::Graph& g) {
    std::vector<int> rows(g.buffers.size(), 0);
    for (const net::Node& n : g.nodes) {
        if (n.conv < 0) continue;
        const net::MaskedConv& conv = g.convs[n.conv];
        PCNN_REQUIRE(conv.mask.groups == g.image_channels,
                     "cached sampler: " << n.name << " has " << conv.mask.groups
                                        << " channel groups, expected one per image channel (" << g.image_channels << ")");
        if (conv.pointwise()) continue;
        for (int t = 0; t < conv.taps; ++t) {
            const int dy = conv.tap_dy[t], dx = conv.tap_dx[t];
            PCNN_REQUIRE(dy < 0 || (dy == 0 && dx <= 0),
                         "cached sampler: " << n.name << " reads a later position (" << dy << ", " << dx
                                            << "); it needs a per-row step");
            rows[n.input] = std::max(rows[n.input], 1 - dy);
        }
    }
    return rows;
}

}  // namespace

SamplerImpl::SamplerImpl(ModelImpl& model, int n) : m(model), count(n) {
    const net::Graph& g = m.graph;
    const std::vector<int> rows = cache_rows(g);
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

void SamplerImpl::step(int n0, int n1, int y, int x, int group) {
    const exec::ColumnShare whole;
    const auto& nodes = m.graph.nodes;
    for (size_t k = 0; k < nodes.size(); ++k) {
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
            if (nodes[k].conv >= 0) member.sync();
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

void SamplerImpl::sample_row(unsigned char* images, const unsigned char* known, int row, long long seed,
                             long long first_index, float temperature) {
    const Config& c = m.cfg;
    m.check_sampling_args(images, count, row, first_index, temperature, "cached sampler");
    PCNN_REQUIRE(row == next_row, "cached sampler: rows must come in order; expected row "
                                      << next_row << ", got " << row << " (call reset to start over)");
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
    if (use_team()) {
        m.backend->run_team([&](TeamMember& member) {
            for (int x = 0; x < c.width; ++x) team_pixel(member, spec, row, x);
        });
        next_row = row + 1 == c.height ? 0 : row + 1;
        return;
    }
    // Images are independent: each share goes through the whole row on its own. The test hook
    // needs all images of a pixel done, so it runs the images in one share.
    const int64_t min_share = after_pixel ? count : 1;
    m.backend->for_each_image_share(count, min_share, [&](int n0, int n1) {
        for (int x = 0; x < c.width; ++x) {
            for (int ch = 0; ch < c.channels; ++ch) {
                step(n0, n1, row, x, ch);
                m.backend->draw_at(spec, logits, input, n0, n1, row, x, ch);
            }
            if (after_pixel) after_pixel(row, x);
        }
    });
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
    impl_->sample_row(images, known, row, seed, first_index, temperature);
}

}  // namespace pixelcnn
