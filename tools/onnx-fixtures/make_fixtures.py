#!/usr/bin/env python3
"""Writes the interop test fixtures into tests/GenAudit.Tests/Fixtures/onnx.

Reproducible: fixed numpy seeds, no torch import. Needs Debian's python3-onnx (1.12) and
python3-numpy:  apt-get install -y python3-onnx && python3 tools/onnx-fixtures/make_fixtures.py

ONNX generators (each with its weights as safetensors under PyTorch names, so a test can build the
same network in TorchSharp):
  mlp2d.onnx           z (B,4) -> Gemm -> Tanh -> Gemm -> x (B,2)           weights 0.*, 2.*  (nn.Sequential)
  image8.onnx          z (B,8) -> Gemm -> Sigmoid -> Reshape -> image (B,1,8,8)   weights 0.*
  conditional.onnx     z (B,4), label int64 (B,) -> [z, E[label]] -> Gemm -> Tanh -> Gemm -> x (B,2)
  conditional_onehot.onnx   z (B,4), c float (B,3) -> [z, c] -> Gemm -> Tanh -> Gemm -> x (B,2)
  fixed_batch.onnx     as mlp2d but with a fixed batch dimension of 1 (must be rejected)
PyTorch checkpoints (the zip + pickle layout torch.save writes, emulated with pickle + zipfile):
  mlp_gan.pt           state dict of GenAudit's MLP GAN generator (latent 4, width 8, data 2); one
                       weight stored transposed (non-contiguous strides), two biases sharing a storage
  mlp_gan.safetensors  the same weights; mlp_gan_io.safetensors holds z and numpy's forward pass x
  malicious.pt         data.pkl imports os.system and calls it (REDUCE); must be refused
  whole_module.pt      pickles a torch.nn.modules.linear.Linear object instead of a state dict
"""
import collections
import io
import json
import os
import pickle
import struct
import sys
import types
import zipfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "GenAudit.Tests", "Fixtures", "onnx")
OPSET = 13


def weights(rng, out_features, in_features):
    bound = 1.0 / np.sqrt(in_features)
    w = rng.uniform(-bound, bound, size=(out_features, in_features)).astype(np.float32)
    b = rng.uniform(-bound, bound, size=(out_features,)).astype(np.float32)
    return w, b


def save_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for name in sorted(tensors):
        array = np.ascontiguousarray(tensors[name])
        dtype = {np.dtype(np.float32): "F32", np.dtype(np.int64): "I64"}[array.dtype]
        data = array.astype(array.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def gemm(name, x, w, b, y):
    # Gemm with transB=1 takes the weight as (out, in), exactly PyTorch's nn.Linear layout.
    return helper.make_node("Gemm", [x, w, b], [y], name=name, transB=1)


def save_model(path, nodes, inputs, outputs, initializers):
    graph = helper.make_graph(nodes, os.path.splitext(os.path.basename(path))[0], inputs, outputs, initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="genaudit-fixtures")
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)


def mlp2d(batch="batch", name="mlp2d.onnx"):
    rng = np.random.default_rng(1)
    w0, b0 = weights(rng, 8, 4)
    w2, b2 = weights(rng, 2, 8)
    save_model(os.path.join(OUT, name),
               [gemm("fc0", "z", "w0", "b0", "h"), helper.make_node("Tanh", ["h"], ["a"]), gemm("fc2", "a", "w2", "b2", "x")],
               [helper.make_tensor_value_info("z", TensorProto.FLOAT, [batch, 4])],
               [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, 2])],
               [numpy_helper.from_array(a, n) for a, n in [(w0, "w0"), (b0, "b0"), (w2, "w2"), (b2, "b2")]])
    if batch == "batch":
        save_safetensors(os.path.join(OUT, "mlp2d.safetensors"), {"0.weight": w0, "0.bias": b0, "2.weight": w2, "2.bias": b2})


def image8():
    rng = np.random.default_rng(2)
    w0, b0 = weights(rng, 64, 8)
    shape = np.array([-1, 1, 8, 8], dtype=np.int64)
    save_model(os.path.join(OUT, "image8.onnx"),
               [gemm("fc0", "z", "w0", "b0", "h"), helper.make_node("Sigmoid", ["h"], ["p"]), helper.make_node("Reshape", ["p", "shape"], ["image"])],
               [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["batch", 8])],
               [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 1, 8, 8])],
               [numpy_helper.from_array(w0, "w0"), numpy_helper.from_array(b0, "b0"), numpy_helper.from_array(shape, "shape")])
    save_safetensors(os.path.join(OUT, "image8.safetensors"), {"0.weight": w0, "0.bias": b0})


def conditional():
    rng = np.random.default_rng(3)
    embedding = rng.standard_normal((3, 2)).astype(np.float32)
    w0, b0 = weights(rng, 8, 6)
    w2, b2 = weights(rng, 2, 8)
    common = [numpy_helper.from_array(a, n) for a, n in [(w0, "w0"), (b0, "b0"), (w2, "w2"), (b2, "b2")]]
    head = [gemm("fc0", "zc", "w0", "b0", "h"), helper.make_node("Tanh", ["h"], ["a"]), gemm("fc2", "a", "w2", "b2", "x")]
    save_model(os.path.join(OUT, "conditional.onnx"),
               [helper.make_node("Gather", ["embedding", "label"], ["e"], axis=0), helper.make_node("Concat", ["z", "e"], ["zc"], axis=1)] + head,
               [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["batch", 4]), helper.make_tensor_value_info("label", TensorProto.INT64, ["batch"])],
               [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 2])],
               common + [numpy_helper.from_array(embedding, "embedding")])
    save_safetensors(os.path.join(OUT, "conditional.safetensors"),
                     {"embed.weight": embedding, "net.0.weight": w0, "net.0.bias": b0, "net.2.weight": w2, "net.2.bias": b2})
    # The one-hot variant feeds [z, one_hot(c)] (B, 4 + 3) into a first layer of its own.
    w0h, b0h = weights(rng, 8, 7)
    save_model(os.path.join(OUT, "conditional_onehot.onnx"),
               [helper.make_node("Concat", ["z", "c"], ["zc"], axis=1), gemm("fc0", "zc", "w0h", "b0", "h"), helper.make_node("Tanh", ["h"], ["a"]), gemm("fc2", "a", "w2", "b2", "x")],
               [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["batch", 4]), helper.make_tensor_value_info("c", TensorProto.FLOAT, ["batch", 3])],
               [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 2])],
               [numpy_helper.from_array(w0h, "w0h"), numpy_helper.from_array(b0, "b0"), numpy_helper.from_array(w2, "w2"), numpy_helper.from_array(b2, "b2")])
    save_safetensors(os.path.join(OUT, "conditional_onehot.safetensors"), {"0.weight": w0h, "0.bias": b0, "2.weight": w2, "2.bias": b2})


# ---- torch.save emulation ---------------------------------------------------------------------
# torch.save pickles (protocol 2) an OrderedDict whose tensors reduce to
# torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, OrderedDict()) and
# whose storages are persistent ids ('storage', torch.FloatStorage, key, 'cpu', numel) stored as
# <stem>/data/<key>. Stand-in modules make pickle emit exactly those GLOBALs without torch.

def _module(name):
    module = types.ModuleType(name)
    sys.modules[name] = module
    return module


torch_module = _module("torch")
torch_utils = _module("torch._utils")
torch_module._utils = torch_utils


def _rebuild_tensor_v2(*args):
    raise AssertionError("only pickled, never called")


_rebuild_tensor_v2.__module__ = "torch._utils"
torch_utils._rebuild_tensor_v2 = _rebuild_tensor_v2
FloatStorage = type("FloatStorage", (), {"__module__": "torch"})
torch_module.FloatStorage = FloatStorage


class Storage:
    def __init__(self, key, array):
        self.key, self.array = key, np.ascontiguousarray(array, dtype=np.float32).reshape(-1)


class Tensor:
    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride

    def __reduce_ex__(self, protocol):
        return (_rebuild_tensor_v2, (self.storage, self.offset, tuple(self.size), tuple(self.stride), False, collections.OrderedDict()))


class TorchPickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            return ("storage", FloatStorage, obj.key, "cpu", obj.array.size)
        return None


def write_torch_zip(path, pickled, storages):
    stem = os.path.splitext(os.path.basename(path))[0]
    entries = [("data.pkl", pickled), ("byteorder", b"little")]
    entries += [(f"data/{s.key}", s.array.astype("<f4").tobytes()) for s in storages]
    entries += [("version", b"3\n")]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, data in entries:
            # A fixed timestamp keeps the file byte-identical between runs of this script.
            archive.writestr(zipfile.ZipInfo(f"{stem}/{name}", date_time=(1980, 1, 1, 0, 0, 0)), data)


def mlp_gan():
    rng = np.random.default_rng(4)
    w0, b0 = weights(rng, 8, 4)
    w2, b2 = weights(rng, 8, 8)
    w4, b4 = weights(rng, 2, 8)
    s_w0, s_w2t, s_w4 = Storage("0", w0), Storage("1", w2.T), Storage("2", w4)
    s_biases = Storage("3", np.concatenate([b4, b0]))  # two tensors sharing one storage at different offsets
    s_b2 = Storage("4", b2)
    state = collections.OrderedDict()
    state["net.0.weight"] = Tensor(s_w0, 0, (8, 4), (4, 1))
    state["net.0.bias"] = Tensor(s_biases, 2, (8,), (1,))
    state["net.2.weight"] = Tensor(s_w2t, 0, (8, 8), (1, 8))  # stored transposed
    state["net.2.bias"] = Tensor(s_b2, 0, (8,), (1,))
    state["net.4.weight"] = Tensor(s_w4, 0, (2, 8), (8, 1))
    state["net.4.bias"] = Tensor(s_biases, 0, (2,), (1,))
    state._metadata = collections.OrderedDict([("", {"version": 1}), ("net", {"version": 1})])
    buffer = io.BytesIO()
    TorchPickler(buffer, protocol=2).dump(state)
    write_torch_zip(os.path.join(OUT, "mlp_gan.pt"), buffer.getvalue(), [s_w0, s_w2t, s_w4, s_biases, s_b2])
    tensors = {"net.0.weight": w0, "net.0.bias": b0, "net.2.weight": w2, "net.2.bias": b2, "net.4.weight": w4, "net.4.bias": b4}
    save_safetensors(os.path.join(OUT, "mlp_gan.safetensors"), tensors)
    z = np.random.default_rng(5).standard_normal((5, 4)).astype(np.float32)
    h = np.maximum(z @ w0.T + b0, 0)
    h = np.maximum(h @ w2.T + b2, 0)
    x = (h @ w4.T + b4).astype(np.float32)
    save_safetensors(os.path.join(OUT, "mlp_gan_io.safetensors"), {"z": z, "x": x})


def malicious():
    # GLOBAL 'os system', argument tuple, REDUCE: what pickle.dumps of an object whose __reduce__
    # returns (os.system, ("echo pwned",)) produces; spelled out so the module reads "os".
    payload = b"\x80\x02cos\nsystem\nq\x00X\n\x00\x00\x00echo pwnedq\x01\x85q\x02Rq\x03."
    write_torch_zip(os.path.join(OUT, "malicious.pt"), payload, [])
    # torch.save(model) instead of torch.save(model.state_dict()): the module class is imported.
    module = b"\x80\x02ctorch.nn.modules.linear\nLinear\nq\x00)\x81q\x01}q\x02b."
    write_torch_zip(os.path.join(OUT, "whole_module.pt"), module, [])


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    mlp2d()
    mlp2d(batch=1, name="fixed_batch.onnx")
    image8()
    conditional()
    mlp_gan()
    malicious()
    for name in sorted(os.listdir(OUT)):
        print(f"{os.path.getsize(os.path.join(OUT, name)):6d}  {name}")
