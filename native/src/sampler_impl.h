// The cached sampler's state (see sampler.cpp), in a header so tests can inspect the caches.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "backend.h"
#include "execute.h"
#include "model_impl.h"

namespace pixelcnn {

// How a row is split over threads: images in shares (each thread its own images, whole
// nodes), or a team on every image (each thread a share of every node's output columns, so it
// streams only its share of the weights, meeting before each convolution).
enum class SamplerSplit { Auto, ImageShares, ColumnTeam };

class SamplerImpl {
public:
    SamplerImpl(ModelImpl& model, int count);

    // Auto: image shares; a team, with PIXELCNN4J_SAMPLER_TEAM=1, for fewer than kTeamBelow
    // images per thread (see use_team).
    static const int kTeamBelow = 4;

    ModelImpl& m;
    int count;
    int next_row = 0;
    // Per graph buffer: its cache (a ring of rows for a k x k convolution's input, else the
    // current position) and the backend memory behind it.
    std::vector<CacheView> caches;
    std::vector<int> fused_relu;  // per node: exec::sampler_fused_relu, found once
    // Per node: whether its output at row y is known before row y's first pixel is drawn (it
    // depends on earlier rows only: Gated PixelCNN's vertical stack). Such nodes run once per
    // row, over every column, before the row's pixels; the others run at each pixel.
    std::vector<bool> row_node;
    Buffer labels;           // (count) ints: a conditional model's labels, set at row 0
    std::vector<int> host_labels;
    std::vector<Buffer> cache_memory;
    int64_t col_stride = 0;  // floats of im2col scratch per image
    Buffer col;              // (team_size, count, col_stride): each team member's own
    SamplerSplit split = SamplerSplit::Auto;  // tests force one
    RowProgram program;      // the row as data, for a backend that runs it at once

    // Test hook: called after the last sub-step of each pixel with (y, x), when set.
    std::function<void(int, int)> after_pixel;

    void sample_row(unsigned char* images, const unsigned char* known, const int* labels, int row,
                    long long seed, long long first_index, float temperature);
    bool use_team() const;
    // Channel group `group` of every per-pixel node at (y, x) for images n0..n1 (one share of images).
    void step(int n0, int n1, int y, int x, int group);
    // Every once-per-row node over all of row y, for images n0..n1; with a team member, its
    // share of the columns (member null: all of them).
    void row_pass(int n0, int n1, int y, const exec::ColumnShare& share, float* own_col, TeamMember* member);
    // One pixel's sub-steps and draws by one member of a column team, over all images.
    void team_pixel(TeamMember& member, const DrawSpec& spec, int y, int x);
};

}  // namespace pixelcnn
