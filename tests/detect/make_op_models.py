#!/usr/bin/env python3
"""Writes tiny TFLite models, one op (or a few) each, with random weights, and
numpy's outputs for them, for tests/detect/test_tflite_ops.cpp.

The models are built with python3-flatbuffers' Builder directly, using TFLite's
field ids (written out below, independent of core/detect/tflite_schema.fbs), and
the expected outputs come from numpy implementations of TFLite's float kernels
written here: TF SAME padding (asymmetric with stride 2), OHWI / 1HWC weights,
NHWC RESHAPE / CONCATENATION / MEAN, RESIZE_BILINEAR's three coordinate modes.

usage: make_op_models.py --out DIR
Writes DIR/manifest.json, DIR/<case>.tflite and raw little-endian float32
DIR/<case>.in<i>.bin / DIR/<case>.out<i>.bin. Deterministic (fixed seed).
"""
import argparse
import json
import os

import flatbuffers
import numpy as np

# TFLite's numbers.
FLOAT32, FLOAT16, INT32, INT8 = 0, 1, 2, 9
ADD, CONCATENATION, CONV_2D, DEPTHWISE_CONV_2D, DEQUANTIZE = 0, 2, 3, 4, 6
FULLY_CONNECTED, LOGISTIC, MAX_POOL_2D, MUL, RESHAPE = 9, 14, 17, 18, 22
RESIZE_BILINEAR, CUSTOM, PAD, MEAN, PRELU = 23, 32, 34, 40, 54
# BuiltinOptions union type numbers.
OPT = {"Conv2D": 1, "DepthwiseConv2D": 2, "Pool2D": 5, "FullyConnected": 8, "Concatenation": 10,
       "Add": 11, "ResizeBilinear": 15, "Reshape": 17, "Pad": 22, "Reducer": 27, "Dequantize": 38}
SAME, VALID = 0, 1
NONE, RELU, RELU_N1_TO_1, RELU6, TANH = 0, 1, 2, 3, 4

rng = np.random.default_rng(20261130)


def rand(*shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


# ---------------------------------------------------------------- the writer
class Model:
    """Tensors, ops and graph inputs/outputs; to_bytes() lays out the flatbuffer."""

    def __init__(self):
        self.tensors = []  # (name, shape, type, bytes or None, quantised)
        self.ops = []      # (code, inputs, outputs, options_type, options fields)

    def tensor(self, name, shape, ttype=FLOAT32, data=None, quantised=False):
        self.tensors.append((name, list(shape), ttype, data, quantised))
        return len(self.tensors) - 1

    def const(self, name, array):
        array = np.asarray(array)
        ttype = {np.dtype(np.float32): FLOAT32, np.dtype(np.float16): FLOAT16,
                 np.dtype(np.int32): INT32}[array.dtype]
        return self.tensor(name, array.shape, ttype, array.astype(array.dtype.newbyteorder("<")).tobytes())

    def weight(self, name, array, fp16):
        """A float32 weight, stored as fp16 + DEQUANTIZE when fp16 (as MediaPipe's models)."""
        if not fp16:
            return self.const(name, array.astype(np.float32))
        h = self.const(name + "_fp16", array.astype(np.float16))
        out = self.tensor(name, array.shape)
        self.op(DEQUANTIZE, [h], [out])
        return out

    def op(self, code, inputs, outputs, opt=None, fields=()):
        self.ops.append((code, list(inputs), list(outputs), opt, list(fields)))

    def to_bytes(self, inputs, outputs):
        b = flatbuffers.Builder(1024)

        def ivec(values):
            return b.CreateNumpyVector(np.asarray(values, dtype=np.int32))

        # Buffers: 0 is the empty one, as TFLite writes.
        buffers, tensor_buffer = [], []
        datas = [None] + [t[3] for t in self.tensors if t[3] is not None]
        for d in datas:
            data = b.CreateByteVector(d) if d else None
            b.StartObject(3)
            if data is not None:
                b.PrependUOffsetTRelativeSlot(0, data, 0)  # Buffer.data
            buffers.append(b.EndObject())
        k = 1
        for t in self.tensors:
            tensor_buffer.append(k if t[3] is not None else 0)
            k += t[3] is not None

        tensors = []
        for (name, shape, ttype, _, quantised), buf in zip(self.tensors, tensor_buffer):
            n = b.CreateString(name)
            s = ivec(shape)
            q = None
            if quantised:
                scale = b.CreateNumpyVector(np.array([0.5], dtype=np.float32))
                b.StartObject(4)
                b.PrependUOffsetTRelativeSlot(2, scale, 0)  # QuantizationParameters.scale
                q = b.EndObject()
            b.StartObject(6)
            b.PrependUOffsetTRelativeSlot(0, s, 0)          # Tensor.shape
            b.PrependInt8Slot(1, ttype, 0)                  # Tensor.type
            b.PrependUint32Slot(2, buf, 0)                  # Tensor.buffer
            b.PrependUOffsetTRelativeSlot(3, n, 0)          # Tensor.name
            if q is not None:
                b.PrependUOffsetTRelativeSlot(4, q, 0)      # Tensor.quantization
            tensors.append(b.EndObject())

        codes = sorted({op[0] for op in self.ops})
        ops = []
        for code, ins, outs, opt, fields in self.ops:
            opt_off = None
            if opt is not None:
                prepared = []
                for slot, kind, value in fields:
                    if kind == "ivec":
                        prepared.append((slot, "off", ivec(value)))
                    else:
                        prepared.append((slot, kind, value))
                b.StartObject(8)
                for slot, kind, value in prepared:
                    {"i32": lambda: b.PrependInt32Slot(slot, value, -999999),
                     "i8": lambda: b.PrependInt8Slot(slot, value, -99),
                     "bool": lambda: b.PrependBoolSlot(slot, value, not value),
                     "off": lambda: b.PrependUOffsetTRelativeSlot(slot, value, 0)}[kind]()
                opt_off = b.EndObject()
            iv, ov = ivec(ins), ivec(outs)
            b.StartObject(6)
            b.PrependUint32Slot(0, codes.index(code), 0)    # Operator.opcode_index
            b.PrependUOffsetTRelativeSlot(1, iv, 0)         # Operator.inputs
            b.PrependUOffsetTRelativeSlot(2, ov, 0)         # Operator.outputs
            if opt_off is not None:
                b.PrependUint8Slot(3, OPT[opt], 0)          # Operator.builtin_options_type
                b.PrependUOffsetTRelativeSlot(4, opt_off, 0)  # Operator.builtin_options
            ops.append(b.EndObject())

        code_offs = []
        for code in codes:
            custom = b.CreateString("MyCustomOp") if code == CUSTOM else None
            b.StartObject(4)
            b.PrependInt8Slot(0, min(code, 127), 0)          # OperatorCode.deprecated_builtin_code
            if custom is not None:
                b.PrependUOffsetTRelativeSlot(1, custom, 0)  # OperatorCode.custom_code
            b.PrependInt32Slot(2, 1, 1)                      # OperatorCode.version
            b.PrependInt32Slot(3, code, 0)                   # OperatorCode.builtin_code
            code_offs.append(b.EndObject())

        def table_vec(offs):
            b.StartVector(4, len(offs), 4)
            for o in reversed(offs):
                b.PrependUOffsetTRelative(o)
            return b.EndVector()

        tv, ov_ = table_vec(tensors), table_vec(ops)
        gi, go = ivec(inputs), ivec(outputs)
        gname = b.CreateString("main")
        b.StartObject(5)
        b.PrependUOffsetTRelativeSlot(0, tv, 0)   # SubGraph.tensors
        b.PrependUOffsetTRelativeSlot(1, gi, 0)   # SubGraph.inputs
        b.PrependUOffsetTRelativeSlot(2, go, 0)   # SubGraph.outputs
        b.PrependUOffsetTRelativeSlot(3, ov_, 0)  # SubGraph.operators
        b.PrependUOffsetTRelativeSlot(4, gname, 0)
        sg = b.EndObject()
        sgv, cv, bv = table_vec([sg]), table_vec(code_offs), table_vec(buffers)
        desc = b.CreateString("intershape op test")
        b.StartObject(5)
        b.PrependUint32Slot(0, 3, 0)              # Model.version
        b.PrependUOffsetTRelativeSlot(1, cv, 0)   # Model.operator_codes
        b.PrependUOffsetTRelativeSlot(2, sgv, 0)  # Model.subgraphs
        b.PrependUOffsetTRelativeSlot(3, desc, 0)  # Model.description
        b.PrependUOffsetTRelativeSlot(4, bv, 0)   # Model.buffers
        b.Finish(b.EndObject(), file_identifier=b"TFL3")
        return bytes(b.Output())


# ------------------------------------------------------- numpy TFLite kernels
def act(x, a):
    return {NONE: x, RELU: np.maximum(x, 0), RELU6: np.clip(x, 0, 6), RELU_N1_TO_1: np.clip(x, -1, 1)}[a]


def same_pad(n, k, s, d):
    out = -(-n // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
    return total // 2, total - total // 2


def np_conv(x, w_ohwi, bias, stride, padding, dil=(1, 1), depthwise_mult=0):
    """x NHWC; w OHWI (conv) or 1HWC (depthwise, depthwise_mult = multiplier)."""
    n, h, wd, c = x.shape
    kh, kw = w_ohwi.shape[1], w_ohwi.shape[2]
    if padding == SAME:
        (t, bo), (l, r) = same_pad(h, kh, stride[0], dil[0]), same_pad(wd, kw, stride[1], dil[1])
    else:
        t = bo = l = r = 0
    xp = np.pad(x.astype(np.float64), ((0, 0), (t, bo), (l, r), (0, 0)))
    oh = (xp.shape[1] - (kh - 1) * dil[0] - 1) // stride[0] + 1
    ow = (xp.shape[2] - (kw - 1) * dil[1] - 1) // stride[1] + 1
    oc = w_ohwi.shape[3] if depthwise_mult else w_ohwi.shape[0]
    y = np.zeros((n, oh, ow, oc))
    for i in range(oh):
        for j in range(ow):
            patch = xp[:, i * stride[0]: i * stride[0] + (kh - 1) * dil[0] + 1: dil[0],
                       j * stride[1]: j * stride[1] + (kw - 1) * dil[1] + 1: dil[1], :]
            if depthwise_mult:
                rep = np.repeat(patch, depthwise_mult, axis=3)  # out channel c*m + k reads input c
                y[:, i, j, :] = (rep * w_ohwi[0]).sum(axis=(1, 2))
            else:
                y[:, i, j, :] = np.einsum("nhwc,ohwc->no", patch, w_ohwi)
    if bias is not None:
        y = y + bias
    return y


def np_maxpool(x, k, s, padding):
    n, h, w, c = x.shape
    if padding == SAME:
        (t, b), (l, r) = same_pad(h, k[0], s[0], 1), same_pad(w, k[1], s[1], 1)
    else:
        t = b = l = r = 0
    xp = np.pad(x, ((0, 0), (t, b), (l, r), (0, 0)), constant_values=-np.inf)
    oh, ow = (xp.shape[1] - k[0]) // s[0] + 1, (xp.shape[2] - k[1]) // s[1] + 1
    y = np.zeros((n, oh, ow, c), np.float32)
    for i in range(oh):
        for j in range(ow):
            y[:, i, j, :] = xp[:, i * s[0]: i * s[0] + k[0], j * s[1]: j * s[1] + k[1], :].max(axis=(1, 2))
    return y


def np_resize(x, oh, ow, align_corners, half_pixel):
    """TFLite's float ResizeBilinear, written out per output pixel."""
    n, h, w, c = x.shape

    def coords(out, inn):
        scale = (inn - 1) / (out - 1) if align_corners and out > 1 else inn / out
        res = []
        for o in range(out):
            src = (o + 0.5) * scale - 0.5 if half_pixel else o * scale
            fl = np.floor(src)
            res.append((int(max(fl, 0)), int(min(np.ceil(src), inn - 1)), src - fl))
        return res

    y = np.zeros((n, oh, ow, c))
    for i, (y0, y1, dy) in enumerate(coords(oh, h)):
        for j, (x0, x1, dx) in enumerate(coords(ow, w)):
            y[:, i, j] = (x[:, y0, x0] * (1 - dy) * (1 - dx) + x[:, y1, x0] * dy * (1 - dx) +
                          x[:, y0, x1] * (1 - dy) * dx + x[:, y1, x1] * dy * dx)
    return y


# ------------------------------------------------------------------ the cases
cases = []


def case(name, model, inputs, outputs, input_values, expected, tol=1e-4):
    cases.append(dict(name=name, bytes=model.to_bytes(inputs, outputs),
                      inputs=[np.asarray(v, np.float32) for v in input_values],
                      outputs=[np.asarray(v, np.float32) for v in expected], tol=tol))


def refused(name, model, inputs, outputs, message, stage="reader"):
    """stage: "reader" (parse_tflite refuses it) or "graph" (only TfliteGraph::load can tell)."""
    cases.append(dict(name=name, bytes=model.to_bytes(inputs, outputs), error=message, stage=stage))


def conv_case(name, in_shape, out_c, k, stride, padding, a, fp16, bias=True, dil=(1, 1)):
    m = Model()
    x = m.tensor("x", in_shape)
    w = rand(out_c, k[0], k[1], in_shape[3], scale=0.5)
    if fp16:
        w = w.astype(np.float16).astype(np.float32)
    wt = m.weight("w", w, fp16)
    b = rand(out_c) if bias else None
    bt = m.const("b", b) if bias else -1
    xv = rand(*in_shape)
    y = act(np_conv(xv, w, b, stride, padding, dil), a)
    yt = m.tensor("y", y.shape)
    m.op(CONV_2D, [x, wt, bt], [yt], "Conv2D",
         [(0, "i8", padding), (1, "i32", stride[1]), (2, "i32", stride[0]), (3, "i8", a),
          (4, "i32", dil[1]), (5, "i32", dil[0])])
    case(name, m, [x], [yt], [xv], [y])


def dw_case(name, in_shape, mult, k, stride, padding, a, fp16):
    m = Model()
    x = m.tensor("x", in_shape)
    c = in_shape[3] * mult
    w = rand(1, k[0], k[1], c, scale=0.5)
    if fp16:
        w = w.astype(np.float16).astype(np.float32)
    wt = m.weight("w", w, fp16)
    b = rand(c)
    bt = m.weight("b", b.astype(np.float16).astype(np.float32) if fp16 else b, fp16)
    b = b.astype(np.float16).astype(np.float32) if fp16 else b
    xv = rand(*in_shape)
    y = act(np_conv(xv, w, b, stride, padding, depthwise_mult=mult), a)
    yt = m.tensor("y", y.shape)
    m.op(DEPTHWISE_CONV_2D, [x, wt, bt], [yt], "DepthwiseConv2D",
         [(0, "i8", padding), (1, "i32", stride[1]), (2, "i32", stride[0]), (3, "i32", mult), (4, "i8", a)])
    case(name, m, [x], [yt], [xv], [y])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    out_dir = ap.parse_args().out
    os.makedirs(out_dir, exist_ok=True)

    # Convolutions: SAME with stride 2 on odd and even sizes (asymmetric pads),
    # VALID, dilation, fp16 weights through DEQUANTIZE, no bias.
    conv_case("conv_same_s2_odd", (1, 7, 9, 3), 4, (3, 3), (2, 2), SAME, RELU6, fp16=True)
    conv_case("conv_same_s2_even", (1, 8, 6, 2), 5, (3, 3), (2, 2), SAME, NONE, fp16=False)
    conv_case("conv_same_s2_k2", (1, 6, 7, 3), 3, (2, 2), (2, 2), SAME, RELU, fp16=True)
    conv_case("conv_valid", (1, 6, 5, 2), 3, (2, 3), (1, 1), VALID, RELU_N1_TO_1, fp16=False, bias=False)
    conv_case("conv_same_dilated", (1, 7, 7, 2), 3, (3, 3), (1, 1), SAME, NONE, fp16=False, dil=(2, 2))
    conv_case("conv_1x1", (1, 4, 5, 6), 7, (1, 1), (1, 1), SAME, NONE, fp16=True)
    dw_case("depthwise_same_s2", (1, 9, 8, 4), 1, (3, 3), (2, 2), SAME, RELU6, fp16=True)
    dw_case("depthwise_5x5", (1, 7, 6, 3), 1, (5, 5), (1, 1), SAME, NONE, fp16=True)
    dw_case("depthwise_multiplier", (1, 6, 6, 2), 3, (3, 3), (1, 1), VALID, RELU, fp16=False)

    # PRELU, per channel (1x1xC) and per element.
    for name, ashape in (("prelu_channel", (1, 1, 3)), ("prelu_full", (4, 5, 3))):
        m = Model()
        x = m.tensor("x", (1, 4, 5, 3))
        al = rand(*ashape)
        at = m.weight("alpha", al.astype(np.float16).astype(np.float32), True)
        al = al.astype(np.float16).astype(np.float32)
        y = m.tensor("y", (1, 4, 5, 3))
        m.op(PRELU, [x, at], [y])
        xv = rand(1, 4, 5, 3)
        case(name, m, [x], [y], [xv], [np.where(xv >= 0, xv, xv * al)])

    # ADD: two activations with a fused RELU; an activation and a broadcast constant.
    m = Model()
    a, b_, y = m.tensor("a", (1, 3, 4, 5)), m.tensor("b", (1, 3, 4, 5)), m.tensor("y", (1, 3, 4, 5))
    m.op(ADD, [a, b_], [y], "Add", [(0, "i8", RELU)])
    av, bv = rand(1, 3, 4, 5), rand(1, 3, 4, 5)
    case("add_relu", m, [a, b_], [y], [av, bv], [np.maximum(av + bv, 0)])
    m = Model()
    a = m.tensor("a", (1, 3, 4, 5))
    cv = rand(5)
    c = m.const("c", cv)
    y = m.tensor("y", (1, 3, 4, 5))
    m.op(ADD, [a, c], [y], "Add", [(0, "i8", NONE)])
    av = rand(1, 3, 4, 5)
    case("add_broadcast_const", m, [a], [y], [av], [av + cv])

    # MAX_POOL_2D, SAME with stride 2 on odd sizes (the pad row is never the max).
    for name, shape, k in (("maxpool_same_s2", (1, 5, 7, 3), (2, 2)), ("maxpool_3x3_s2", (1, 7, 6, 2), (3, 3))):
        m = Model()
        x = m.tensor("x", shape)
        xv = rand(*shape) - 3.0  # all negative: zero padding would show
        y = np_maxpool(xv, k, (2, 2), SAME)
        yt = m.tensor("y", y.shape)
        m.op(MAX_POOL_2D, [x], [yt], "Pool2D",
             [(0, "i8", SAME), (1, "i32", 2), (2, "i32", 2), (3, "i32", k[1]), (4, "i32", k[0]), (5, "i8", NONE)])
        case(name, m, [x], [yt], [xv], [y])

    # RESHAPE after a convolution (NHWC order of the elements), with and
    # without the shape input; then a CONCATENATION of the two along axis 1.
    m = Model()
    x = m.tensor("x", (1, 4, 6, 3))
    w = rand(2, 1, 1, 3)
    wt = m.const("w", w)
    cy = m.tensor("conv", (1, 4, 6, 2))
    m.op(CONV_2D, [x, wt, -1], [cy], "Conv2D", [(0, "i8", SAME), (1, "i32", 1), (2, "i32", 1)])
    r1 = m.tensor("r1", (1, 24, 2))
    m.op(RESHAPE, [cy, m.const("shape", np.array([1, -1, 2], np.int32))], [r1], "Reshape", [])
    r2 = m.tensor("r2", (1, 12, 4))
    m.op(RESHAPE, [cy], [r2], "Reshape", [(0, "ivec", [1, 12, 4])])
    r3 = m.tensor("r3", (1, 24, 2))
    m.op(RESHAPE, [r2], [r3])
    cat = m.tensor("cat", (1, 48, 2))
    m.op(CONCATENATION, [r1, r3], [cat], "Concatenation", [(0, "i32", 1), (1, "i8", NONE)])
    xv = rand(1, 4, 6, 3)
    conv = np_conv(xv, w, None, (1, 1), SAME)
    case("reshape_concat", m, [x], [r1, r2, cat], [xv],
         [conv.reshape(1, 24, 2), conv.reshape(1, 12, 4), np.concatenate([conv.reshape(1, 24, 2)] * 2, axis=1)])

    # CONCATENATION of rank-4 activations along channels (axis -1) and along H.
    for name, axis in (("concat_channels", -1), ("concat_height", 1)):
        m = Model()
        a, b_ = m.tensor("a", (1, 3, 4, 2)), m.tensor("b", (1, 3, 4, 2))
        av, bv = rand(1, 3, 4, 2), rand(1, 3, 4, 2)
        y = np.concatenate([av, bv], axis=axis)
        yt = m.tensor("y", y.shape)
        m.op(CONCATENATION, [a, b_], [yt], "Concatenation", [(0, "i32", axis), (1, "i8", RELU)])
        case(name, m, [a, b_], [yt], [av, bv], [np.maximum(y, 0)])

    # PAD: spatial and channel padding (palm detection pads channels).
    m = Model()
    x = m.tensor("x", (1, 3, 4, 2))
    p = np.array([[0, 0], [1, 2], [0, 1], [0, 3]], np.int32)
    y = m.tensor("y", (1, 6, 5, 5))
    m.op(PAD, [x, m.const("paddings", p)], [y], "Pad", [])
    xv = rand(1, 3, 4, 2)
    case("pad", m, [x], [y], [xv], [np.pad(xv, p)])

    # RESIZE_BILINEAR in its three coordinate modes.
    for name, (oh, ow), ac, hp in (("resize_half_pixel", (10, 9), False, True),
                                   ("resize_align_corners", (9, 11), True, False),
                                   ("resize_legacy", (7, 13), False, False),
                                   ("resize_half_pixel_x2", (10, 12), False, True)):
        m = Model()
        x = m.tensor("x", (1, 5, 6, 3))
        y = m.tensor("y", (1, oh, ow, 3))
        m.op(RESIZE_BILINEAR, [x, m.const("size", np.array([oh, ow], np.int32))], [y], "ResizeBilinear",
             [(2, "bool", ac), (3, "bool", hp)])
        xv = rand(1, 5, 6, 3)
        case(name, m, [x], [y], [xv], [np_resize(xv, oh, ow, ac, hp)])

    # FULLY_CONNECTED on a rank-4 input (flattened in NHWC order), fp16 weights;
    # and without bias; LOGISTIC after it.
    m = Model()
    x = m.tensor("x", (1, 2, 2, 3))
    w = rand(5, 12).astype(np.float16).astype(np.float32)
    b = rand(5).astype(np.float16).astype(np.float32)
    wt, bt = m.weight("w", w, True), m.weight("b", b, True)
    fc = m.tensor("fc", (1, 5))
    m.op(FULLY_CONNECTED, [x, wt, bt], [fc], "FullyConnected", [(0, "i8", RELU)])
    fc2 = m.tensor("fc2", (1, 5))
    m.op(FULLY_CONNECTED, [x, wt, -1], [fc2], "FullyConnected", [(0, "i8", NONE)])
    sg = m.tensor("sigmoid", (1, 5))
    m.op(LOGISTIC, [fc2], [sg])
    xv = rand(1, 2, 2, 3)
    flat = xv.reshape(1, 12)
    case("fully_connected_logistic", m, [x], [fc, sg], [xv],
         [np.maximum(flat @ w.T + b, 0), 1 / (1 + np.exp(-(flat @ w.T)))])

    # MEAN over H and W (the landmark model), with keep_dims, and over H alone
    # (NHWC order of the remaining dims).
    for name, axes, keep in (("mean_hw", [1, 2], False), ("mean_hw_keep", [1, 2], True), ("mean_h", [1], False),
                             ("mean_c_negative", [-1], False)):
        m = Model()
        x = m.tensor("x", (1, 3, 4, 5))
        xv = rand(1, 3, 4, 5)
        y = xv.mean(axis=tuple(axes), keepdims=keep)
        yt = m.tensor("y", y.shape)
        m.op(MEAN, [x, m.const("axes", np.array(axes, np.int32))], [yt], "Reducer", [(0, "bool", keep)])
        case(name, m, [x], [yt], [xv], [y])

    # Refused models: each message must name the problem.
    m = Model()
    a, b_, y = m.tensor("a", (1, 4)), m.tensor("b", (1, 4)), m.tensor("y", (1, 4))
    m.op(MUL, [a, b_], [y])
    refused("refused_mul", m, [a, b_], [y], "MUL")
    m = Model()
    a, y = m.tensor("a", (1, 4)), m.tensor("y", (1, 4))
    m.op(CUSTOM, [a], [y])
    refused("refused_custom", m, [a], [y], "MyCustomOp")
    m = Model()
    a = m.tensor("a", (1, 4))
    c = m.tensor("q", (4,), INT8, bytes(4), quantised=True)
    y = m.tensor("y", (1, 4))
    m.op(ADD, [a, c], [y], "Add", [])
    refused("refused_int8", m, [a], [y], "int8")
    m = Model()
    a, b_, y = m.tensor("a", (1, 4)), m.tensor("b", (1, 4)), m.tensor("y", (1, 4))
    m.op(ADD, [a, b_], [y], "Add", [(0, "i8", TANH)])
    refused("refused_tanh", m, [a, b_], [y], "activation")
    m = Model()
    a, y = m.tensor("a", (1, 4, 4, 2)), m.tensor("y", (1, 4, 4, 3))
    m.op(CONV_2D, [a, m.const("w", rand(3, 1, 1, 5)), -1], [y], "Conv2D", [(1, "i32", 1), (2, "i32", 1)])
    refused("refused_conv_shape", m, [a], [y], "weights", stage="graph")
    m = Model()
    a, y = m.tensor("a", (1, 4)), m.tensor("y", (1, 3))
    m.op(LOGISTIC, [a], [y])
    refused("refused_wrong_output_shape", m, [a], [y], "the file says", stage="graph")

    manifest = []
    for c in cases:
        path = os.path.join(out_dir, c["name"] + ".tflite")
        with open(path, "wb") as f:
            f.write(c["bytes"])
        entry = {"name": c["name"], "model": c["name"] + ".tflite"}
        if "error" in c:
            entry["error"] = c["error"]
            entry["stage"] = c["stage"]
        else:
            entry["tolerance"] = c["tol"]
            for kind in ("inputs", "outputs"):
                entry[kind] = []
                for i, v in enumerate(c[kind]):
                    fn = "%s.%s%d.bin" % (c["name"], kind[:-4] if kind == "inputs" else "out", i)
                    v.astype("<f4").tofile(os.path.join(out_dir, fn))
                    entry[kind].append({"file": fn, "shape": list(v.shape)})
        manifest.append(entry)
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print("make_op_models: %d cases in %s" % (len(manifest), out_dir))


if __name__ == "__main__":
    main()
