"""The GPU benchmark's PyTorch side (native/tests/gpu/run.sh): the reference models built from the
modules of docs/interop.md (executed from the document, as written), timed on cuda:0 eagerly and
under torch.compile where it works; then the engine's figures (bench_engine's RESULT lines) beside
them, with ratios. Times are medians of 5 runs after warm-up, synchronised."""
import argparse
import re
import statistics
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent

MODELS = {
    "fm-binary": dict(arch="pixelcnn", channels=1, size=28, head="bernoulli", levels=2),
    "fm-256": dict(arch="pixelcnn", channels=1, size=28, head="categorical", levels=256),
    "rgb-32": dict(arch="pixelcnn", channels=3, size=32, head="categorical", levels=256,
                   hidden_channels=120, residual_channels=60, head_channels=120),
    "fm-gated": dict(arch="gated", channels=1, size=28, head="categorical", levels=256),
}


def modules_of_the_doc():
    """The python blocks of docs/interop.md that define the modules (up to model_from_metadata)."""
    text = (ROOT / "docs" / "interop.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    namespace = {}
    for block in blocks:
        exec(compile(block, "docs/interop.md", "exec"), namespace)
        if "def model_from_metadata" in block:
            break
    return namespace


def build(ns, name):
    spec = dict(MODELS[name])
    arch, size = spec.pop("arch"), spec.pop("size")
    cls = ns["PixelCNN"] if arch == "pixelcnn" else ns["GatedPixelCNN"]
    return cls(height=size, width=size, **spec).cuda(), spec["channels"], size, spec["levels"]


def median_time(fn, reps=5):
    fn()
    fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def torch_figures(ns):
    figures = {}
    for name in MODELS:
        for compiled in (False, True):
            model, c, size, levels = build(ns, name)
            run = torch.compile(model.nll) if compiled else model.nll
            opt = torch.optim.Adam(model.parameters(), lr=1e-3)
            tag = "compile" if compiled else "eager"
            try:
                for batch in (32, 128, 512):
                    images = torch.randint(0, levels, (batch, c, size, size), device="cuda", dtype=torch.uint8)

                    def step():
                        opt.zero_grad(set_to_none=True)
                        loss = run(images).mean() / (c * size * size)
                        loss.backward()
                        opt.step()

                    figures[("train", name, batch, tag)] = batch / median_time(step)
                images = torch.randint(0, levels, (256, c, size, size), device="cuda", dtype=torch.uint8)

                def score():
                    with torch.no_grad():
                        run(images)

                figures[("likelihood", name, 256, tag)] = 256 / median_time(score)
            except Exception as e:  # torch.compile may be unavailable (no Triton): say so, go on
                print(f"{name} {tag}: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
            del model, opt
            torch.cuda.empty_cache()
    return figures


def engine_figures(path):
    figures = {}
    for line in Path(path).read_text().splitlines():
        parts = line.split()
        if not parts or parts[0] != "RESULT":
            continue
        if parts[1] in ("train", "likelihood"):
            figures[(parts[1], parts[2], int(parts[3]))] = float(parts[4])
        elif parts[1] == "sample":
            figures[("sample", parts[2], int(parts[3]))] = (float(parts[4]), float(parts[5]))
    return figures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", required=True, help="bench_engine's output (RESULT lines)")
    args = parser.parse_args()
    print(f"PyTorch {torch.__version__} on {torch.cuda.get_device_name(0)}")
    engine = engine_figures(args.engine)
    ours = torch_figures(modules_of_the_doc())
    print(f"{'what':<34}{'engine img/s':>14}{'eager img/s':>14}{'ratio':>8}{'compile img/s':>15}{'ratio':>8}")
    for (kind, name, batch), value in sorted(engine.items()):
        if kind == "sample":
            continue
        eager = ours.get((kind, name, batch, "eager"))
        comp = ours.get((kind, name, batch, "compile"))
        cells = [f"{value:14.1f}"]
        cells.append(f"{eager:14.1f}{value / eager:8.2f}" if eager else f"{'-':>14}{'-':>8}")
        cells.append(f"{comp:15.1f}{value / comp:8.2f}" if comp else f"{'-':>15}{'-':>8}")
        print(f"{kind + ' ' + name + ' b' + str(batch):<34}" + "".join(cells))
    for (kind, name, batch), (cached, naive) in sorted(engine.items()):
        if kind == "sample":
            print(f"sample {name} b{batch}: cached {cached * 1e3:.1f} ms a batch, naive {naive:.2f} s, "
                  f"cached/naive {naive / cached:.0f}x")


if __name__ == "__main__":
    main()
