"""PyTorch interop: a checkpoint written by coopnets opens with the safetensors library and
has PyTorch's layouts (Conv2d.weight [out, in, kh, kw], ConvTranspose2d.weight [in, out, kh, kw],
Linear.weight [out, in]). Run by `cargo xtask interop` (which pip-installs safetensors numpy)."""
import json
import sys

import numpy as np
from safetensors import safe_open

d = sys.argv[1]
expected = json.load(open(f"{d}/expected.json"))
with safe_open(f"{d}/model.safetensors", framework="np") as f:
    names = set(f.keys())
    assert f.metadata()["format"] == "coopnets-checkpoint-v1", f.metadata()
    for name, e in expected.items():
        t = f.get_tensor(name)
        assert list(t.shape) == e["shape"], (name, t.shape, e["shape"])
        assert str(t.dtype) == "float32", (name, t.dtype)
        want = np.array(e["values"], dtype=np.float32)
        assert np.array_equal(t.reshape(-1), want), (name, "values differ (layout?)")
    assert list(f.get_tensor("0.weight").shape) == [8, 3, 5, 3], "Conv2d.weight is [out, in, kh, kw]"
    assert list(f.get_tensor("3.weight").shape) == [8, 4, 4, 4], "ConvTranspose2d.weight is [in, out, kh, kw]"
    assert list(f.get_tensor("5.weight").shape) == [10, 16], "Linear.weight is [out, in]"
    assert {"1.running_mean", "1.running_var"} <= names, names
print(f"interop ok: {len(expected)} parameters, {len(names)} tensors read with safetensors")
