#include "execute.h"

#include <algorithm>
#include <atomic>

#include "core/check.h"
#include "sampler_impl.h"

namespace pixelcnn {
namespace exec {

using net::Node;
using net::Op;

void forward(ModelImpl& m, const unsigned char* images, const int* labels, int count) {
    Backend& be = *m.backend;
    const Shape s = m.shape(count);
    const int64_t P = s.positions();
    const int C = m.cfg.channels;
    float* col = m.at(m.plan.col);
    be.prepare();
    if (labels) be.upload(m.labels.i(), labels, sizeof(int) * static_cast<size_t>(count));
    for (size_t k = 0; k < m.graph.nodes.size(); ++k) {
        const Node& n = m.graph.nodes[k];
        // A ReLU right after a convolution is stored by the convolution, and skipped here.
        const int relu = m.graph.fused_relu(k);
        float* relu_out = relu >= 0 ? m.value(m.graph.nodes[relu].output) : nullptr;
        switch (n.op) {
            case Op::EncodeInput:
                be.encode_input(images, m.value(n.output), s, m.cfg.channels, m.input_scale());
                break;
            case Op::MaskedConv:
                be.masked_conv_forward(m.graph.conv_of(n), m.weight(n), m.bias(n), m.value(n.input),
                                       m.value(n.output), s, n.accumulate, col, relu_out);
                break;
            case Op::Conv1x1:
                be.conv1x1_forward(m.graph.conv_of(n), m.weight(n), m.bias(n), m.value(n.input),
                                   m.value(n.output), s, n.accumulate, relu_out);
                break;
            case Op::Relu:
                be.relu_forward(m.value(n.input), m.value(n.output), P * m.graph.buffers[n.output].channels);
                break;
            case Op::Gate:
                be.gate_forward(m.value(n.input), m.value(n.output), P * C, m.graph.gate_width(n));
                break;
            case Op::ClassBias:
                be.class_bias_forward(m.tensor(n.weight), m.labels.i(), m.value(n.output), s,
                                      m.graph.buffers[n.output].channels);
                break;
            case Op::Add:
                be.add(m.value(n.input), m.value(n.output), P * m.graph.buffers[n.output].channels, true);
                break;
            case Op::BernoulliNll:
            case Op::CategoricalNll:
                break;  // exec::loss
        }
        if (relu >= 0) k = relu;
    }
}

double loss(ModelImpl& m, const unsigned char* images, int count, bool with_grad, float grad_scale, float* value_nll) {
    Backend& be = *m.backend;
    const Shape s = m.shape(count);
    double* rows = m.row_nll.data();
    for (size_t k = 0; k < m.graph.nodes.size(); ++k) {
        const Node& n = m.graph.nodes[k];
        float* dlogits = with_grad ? m.at(m.plan.grad_in[k]) : nullptr;
        if (n.op == Op::BernoulliNll) {
            be.bernoulli_nll(m.value(n.input), images, s, m.cfg.channels, rows, dlogits, grad_scale, value_nll);
        } else if (n.op == Op::CategoricalNll) {
            be.categorical_nll(m.value(n.input), images, s, m.cfg.channels, m.cfg.levels, rows, dlogits, grad_scale,
                               value_nll);
        }
    }
    double total = 0.0;
    for (int64_t r = 0; r < static_cast<int64_t>(count) * m.cfg.height; ++r) total += rows[r];
    return total;
}

void backward(ModelImpl& m, int count) {
    Backend& be = *m.backend;
    const Shape s = m.shape(count);
    const int64_t P = s.positions();
    float* col = m.at(m.plan.col);
    const float* ones = m.at(m.plan.ones);
    for (size_t k = m.graph.nodes.size(); k-- > 0;) {
        const Node& n = m.graph.nodes[k];
        float* dout = m.at(m.plan.grad_out[k]);
        float* din = m.at(m.plan.grad_in[k]);
        const bool din_accumulate = m.plan.grad_in_accumulate[k];
        switch (n.op) {
            case Op::MaskedConv:
                be.masked_conv_backward(m.graph.conv_of(n), m.weight(n), m.value(n.input), dout, din,
                                        din_accumulate, m.dweight(n), m.dbias(n), s, col, ones);
                break;
            case Op::Conv1x1: {
                // The ReLU before it, if only it reads the ReLU's output, is applied with its
                // input gradient, straight into the ReLU's input gradient; the walk skips it.
                const int relu = m.graph.relu_before(k);
                float* conv_din = relu >= 0 ? m.at(m.plan.grad_in[relu]) : din;
                const bool conv_accumulate = relu >= 0 ? m.plan.grad_in_accumulate[relu] : din_accumulate;
                be.conv1x1_backward(m.graph.conv_of(n), m.weight(n), m.value(n.input), dout, conv_din, conv_accumulate,
                                    relu >= 0, m.dweight(n), m.dbias(n), s, ones);
                if (relu >= 0) k = relu;  // the loop's next step is the node before the ReLU
                break;
            }
            case Op::Relu:
                if (din) be.relu_backward(m.value(n.output), dout, din, P * m.graph.buffers[n.output].channels,
                                          din_accumulate);
                break;
            case Op::Gate:
                if (din) be.gate_backward(m.value(n.input), dout, din, P * m.cfg.channels, m.graph.gate_width(n),
                                          din_accumulate);
                break;
            case Op::ClassBias:  // in place: the gradient passes through unchanged
                be.class_bias_backward(dout, m.labels.i(), m.dtensor(n.weight), s, m.graph.buffers[n.output].channels,
                                       m.cfg.classes);
                break;
            case Op::Add:
                if (din) be.add(dout, din, P * m.graph.buffers[n.output].channels, din_accumulate);
                break;
            case Op::EncodeInput:
            case Op::BernoulliNll:
            case Op::CategoricalNll:
                break;  // no parameters; the loss's gradient came with exec::loss
        }
    }
}

void ColumnShare::range(int first, int width, int* c0, int* c1) const {
    const int per = ((width + parts - 1) / parts + 15) / 16 * 16;
    *c0 = first + std::min(width, part * per);
    *c1 = first + std::min(width, (part + 1) * per);
}

int sampler_fused_relu(const SamplerImpl& s, size_t k) {
    const int relu = s.m.graph.fused_relu(k);
    if (relu < 0) return -1;
    const CacheView& out = s.caches[s.m.graph.nodes[k].output];
    const CacheView& r = s.caches[s.m.graph.nodes[relu].output];
    return out.rows == r.rows && out.channels == r.channels ? relu : -1;
}

void step(SamplerImpl& s, const Node& n, int n0, int n1, int y, int x, int group, const ColumnShare& share,
          float* col, const Node* relu) {
    ModelImpl& m = s.m;
    Backend& be = *m.backend;
    const int C = m.cfg.channels;
    switch (n.op) {
        case Op::MaskedConv:
        case Op::Conv1x1: {
            const net::MaskedConv& conv = m.graph.conv_of(n);
            const CacheView& in = s.caches[n.input];
            const CacheView& out = s.caches[n.output];
            const int width = conv.out_channels / C;
            int o0, o1;
            share.range(group * width, width, &o0, &o1);
            if (o0 >= o1) break;
            const float* a = in.at(n0, y, x);
            int64_t lda = in.image_stride();
            if (n.op == Op::MaskedConv) {
                be.masked_conv_gather_at(conv, in, n0, n1, y, x, col, s.col_stride);
                a = col + n0 * s.col_stride;
                lda = s.col_stride;
            }
            float* relu_out = relu ? s.caches[relu->output].at(n0, y, x) : nullptr;
            be.conv_at(conv, m.weight(n), m.bias(n), a, lda, out.at(n0, y, x), out.image_stride(), n1 - n0, o0, o1,
                       n.accumulate, relu_out);
            break;
        }
        case Op::Relu: {
            const CacheView& in = s.caches[n.input];
            const CacheView& out = s.caches[n.output];
            const int width = out.channels / C;
            int c0, c1;
            share.range(group * width, width, &c0, &c1);
            if (c0 < c1)
                be.relu_at(in.at(n0, y, x), in.image_stride(), out.at(n0, y, x), out.image_stride(), n1 - n0, c0,
                           c1 - c0);
            break;
        }
        case Op::Gate: {
            const CacheView& in = s.caches[n.input];
            const CacheView& out = s.caches[n.output];
            const int width = m.graph.gate_width(n);
            int c0, c1;
            share.range(group * width, width, &c0, &c1);
            if (c0 < c1)
                be.gate_at(in.at(n0, y, x), in.image_stride(), out.at(n0, y, x), out.image_stride(), n1 - n0, c0, c1,
                           width);
            break;
        }
        case Op::ClassBias:
        case Op::Add: {
            const CacheView& out = s.caches[n.output];
            const int width = out.channels / C;
            int c0, c1;
            share.range(group * width, width, &c0, &c1);
            if (c0 >= c1) break;
            if (n.op == Op::ClassBias) {
                be.class_bias_at(m.tensor(n.weight), out.channels, s.labels.i() + n0, out.at(n0, y, x),
                                 out.image_stride(), n1 - n0, c0, c1);
            } else {
                const CacheView& in = s.caches[n.input];
                be.add_at(in.at(n0, y, x), in.image_stride(), out.at(n0, y, x), out.image_stride(), n1 - n0, c0, c1);
            }
            break;
        }
        case Op::EncodeInput:
        case Op::BernoulliNll:
        case Op::CategoricalNll:
            break;  // the sampler feeds the input and draws from the logits itself
    }
}

RowProgram row_program(const SamplerImpl& s) {
    static std::atomic<long long> next_id{1};
    const ModelImpl& m = s.m;
    const int C = m.cfg.channels;
    RowProgram p;
    p.id = next_id++;
    p.labels = m.cfg.classes > 0 ? s.labels.i() : nullptr;
    p.col = s.col.f();
    p.col_stride = s.col_stride;
    p.logits = s.caches[m.graph.logits_buffer];
    p.input = s.caches[m.graph.input_buffer];
    const auto& nodes = m.graph.nodes;
    for (size_t k = 0; k < nodes.size(); ++k) {
        const Node& n = nodes[k];
        RowStep st;
        st.once_per_row = s.row_node[k];
        if (n.input >= 0) st.in = s.caches[n.input];
        if (n.output >= 0) st.out = s.caches[n.output];
        switch (n.op) {
            case Op::MaskedConv:
            case Op::Conv1x1: {
                st.op = RowOp::Conv;
                st.conv = &m.graph.conv_of(n);
                st.weight = m.weight(n);
                st.bias = m.bias(n);
                st.accumulate = n.accumulate;
                st.width = st.conv->out_channels / C;
                const int relu = s.fused_relu[k];
                if (relu >= 0) {
                    st.relu = s.caches[nodes[relu].output];
                    k = relu;  // stored by the convolution, as step's caller skips it
                }
                break;
            }
            case Op::Relu:
                st.op = RowOp::Relu;
                st.width = st.out.channels / C;
                break;
            case Op::Gate:
                st.op = RowOp::Gate;
                st.width = m.graph.gate_width(n);
                break;
            case Op::ClassBias:
                st.op = RowOp::ClassBias;
                st.weight = m.tensor(n.weight);
                st.width = st.out.channels / C;
                break;
            case Op::Add:
                st.op = RowOp::Add;
                st.width = st.out.channels / C;
                break;
            case Op::EncodeInput:
            case Op::BernoulliNll:
            case Op::CategoricalNll:
                continue;  // the sampler feeds the input and draws from the logits itself
        }
        p.steps.push_back(st);
    }
    return p;
}

}  // namespace exec
}  // namespace pixelcnn
