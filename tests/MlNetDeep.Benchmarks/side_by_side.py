#!/usr/bin/env python3
"""Runs MlNetDeep (`yardstick`) and PyTorch (pytorch_throughput.py) alternately on every workload of the table below,
each run after the machine has gone idle, and prints a Markdown table of both sides with ratios, the date, the CPU
model, the threads, the core placement, and the GFLOP/s each side reached with its share of the machine's FMA peak.

usage: python3 tests/MlNetDeep.Benchmarks/side_by_side.py [--rounds 3] [--threads 2] [--only NAME,...] [--list]
           [--idle-busy 0.10] [--idle-timeout 900] [--no-build] [--ours-only] [--placement SECONDS] [--output table.md]

Protocol. Each round runs every workload once on each side, each run a fresh process, ours first in odd rounds and
PyTorch first in even ones. Before each run the script waits until the machine is idle: two consecutive one-second
samples of /proc/stat with at most --idle-busy of all cores busy. A run is disturbed when, during it, the cores spent
more than --idle-busy of their time on other processes (all busy time in /proc/stat minus the run's own CPU time);
disturbed runs are left out unless every run of that workload and side was disturbed (the table then marks it †).
Each side reports the median of its own timed rounds; the table gives the median over the kept runs. The ratio is
our speed over PyTorch's (images/s over images/s, or PyTorch's time over ours), so above 1 means MlNetDeep is faster.

Placement. Two threads pinned to cores 0 and 1 hand a cache line back and forth (`yardstick placement`); the median
round trip, measured before the first and after the last round, tells cores that share a cache ("near", below 200 ns
here) from cores on different dies ("far"), which on a virtual machine the host decides and may change between runs.

What the placement costs each side (--placement SECONDS, for as long as that): the host moves the two cores between
near and far every minute or so, faster than a round. So the script runs pairs instead, over and over: the placement,
our run, the placement, PyTorch's run, the placement, each run after the idle gate; a pair counts as near or far when
its three readings agree, and not at all when they do not or a run was disturbed. It prints, per workload, the medians
of both sides near and far, and what far cores cost each side.

Needs the .NET SDK, and for PyTorch's side Debian's python3-torch, python3-torchvision and libopenblas0-openmp
(apt-get install python3-torch python3-torchvision libopenblas0-openmp); torch runs on OpenBLAS's OpenMP build, as
the pthread build fights torch's own threads.
"""
import argparse, datetime, json, os, platform, resource, shutil, statistics, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
DLL = os.path.join(HERE, "bin", "Release", "net10.0", "MlNetDeep.Benchmarks.dll")
OPENBLAS_OPENMP = "/usr/lib/x86_64-linux-gnu/openblas-openmp"
NEAR_NS = 200


class Workload:
    """One row: a workload and options that both sides take alike, and the measure read from their JSON lines."""

    def __init__(self, key, label, model, options, measure, unit, lower_is_better=False, ours_only=False, reference=None, paired=None):
        self.key, self.label, self.model, self.options = key, label, model, options
        self.measure, self.unit, self.lower_is_better, self.ours_only, self.reference = measure, unit, lower_is_better, ours_only, reference
        self.paired = paired


def mnist(model, title):
    return [
        Workload(f"{model}-train-b64", f"{title}, training, batch 64", model, ["--train-only"], "train_b64_img_per_s", "img/s"),
        Workload(f"{model}-train-b256", f"{title}, training, batch 256", model, ["--train-only", "--batch", "256"], "train_b256_img_per_s", "img/s"),
        Workload(f"{model}-infer-b256", f"{title}, inference, batch 256", model, ["--infer-only"], "infer_b256_img_per_s", "img/s"),
        Workload(f"{model}-latency-b1", f"{title}, latency, batch 1", model, ["--latency-only"], "latency_b1_us", "µs", lower_is_better=True),
    ]


def vision(model, title, batch, infer=True, infer_batch=None):
    rows = [Workload(f"{model}-train-b{batch}", f"{title}, training, batch {batch}, SGD momentum", model, ["--train-only"], f"train_b{batch}_img_per_s", "img/s")]
    if infer:
        infer_batch = infer_batch or (8 if model.endswith("-224") else 256)
        rows.append(Workload(f"{model}-infer-b{infer_batch}", f"{title}, inference, batch {infer_batch}", model, ["--infer-only"], f"infer_b{infer_batch}_img_per_s", "img/s"))
    return rows


# The one table of workloads: each side knows them by `model` (SideBySide.cs and VisionWorkloads.cs for ours,
# pytorch_throughput.py for PyTorch's); add a row here and the model to both sides to extend the comparison.
WORKLOADS = [
    *mnist("mlp", "MLP 784-256-128-10 (Adam)"),
    *mnist("lenet", "LeNet-5 (SGD momentum)"),
    Workload("lenet_bn-train-b64", "LeNet-5 + BN + dropout, training, batch 64", "lenet_bn", ["--train-only"], "train_b64_img_per_s", "img/s"),
    Workload("lenet-mlnet", "LeNet-5 through ML.NET: Evaluate(Transform(test)), 2,000 digits", "lenet-mlnet", [],
             "evaluate_transform_rows_per_s", "rows/s", ours_only=True, reference="inference_predict_rows_per_s",
             paired="evaluate_percent_of_inference"),
    *vision("inception-28", "SmallInception (two Inception modules, BN stem), 1×28×28", 64),
    *vision("lenet5classic-28", "LeNet-5 as LeCun built it (C3's table, trainable subsampling, scaled tanh), 1×28×28", 64),
    *vision("resnet18-cifar", "ResNet-18, 3×32×32", 64),
    Workload("resnet18-cifar-train-b64-1t", "ResNet-18, 3×32×32, training, batch 64, 1 thread", "resnet18-cifar",
             ["--train-only", "--threads", "1"], "train_b64_img_per_s", "img/s"),
    *vision("resnet34-cifar", "ResNet-34, 3×32×32", 64),
    *vision("smallconvnet-cifar", "SmallConvNet (width 32), 3×32×32", 64),
    *vision("vgg11-cifar", "VGG-11 (CIFAR, BN), 3×32×32", 64),
    *vision("resnet18-224", "ResNet-18, 3×224×224", 8),
    *vision("vgg16-224", "VGG-16, 3×224×224", 8),
    *vision("alexnet-224", "AlexNet, 3×224×224", 8),
    *vision("unet-128", "U-Net (depth 3, 16 filters, BN), 3×128×128, 4 classes a pixel", 8, infer_batch=8),
    *vision("fcn8s-128", "FCN-8s (16 filters, BN), 3×128×128, 4 classes a pixel", 8, infer_batch=8),
    *vision("deeplab-128", "DeepLab (atrous convolutions, ASPP; 16 filters, BN), 3×128×128, 4 classes a pixel", 8, infer_batch=8),
    *vision("pspnet-128", "PSPNet (pyramid pooling; 16 filters, BN), 3×128×128, 4 classes a pixel", 8, infer_batch=8),
    Workload("sgemm-1024", "SGEMM 1024³ (PyTorch: torch.mm on OpenBLAS)", "sgemm-1024", [], "gflop_per_s", "GFLOP/s"),
]


def cpu_times():
    """(busy, total) jiffies of all cores from /proc/stat."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    total = sum(values[:8])
    return total - idle, total


def wait_idle(busy_limit, timeout):
    """Waits until two consecutive 1-s samples show at most busy_limit of all cores busy; False after timeout."""
    start, quiet = time.time(), 0
    busy0, total0 = cpu_times()
    while time.time() - start < timeout:
        time.sleep(1)
        busy1, total1 = cpu_times()
        share = (busy1 - busy0) / max(1, total1 - total0)
        busy0, total0 = busy1, total1
        quiet = quiet + 1 if share <= busy_limit else 0
        if quiet >= 2:
            return True
    return False


def run(command, env, busy_limit):
    """Runs one side's process; returns its JSON records, whether others disturbed it, and the others' share of the cores."""
    ticks = os.sysconf("SC_CLK_TCK")
    cores = os.cpu_count() or 1
    busy0, _ = cpu_times()
    own0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.time()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.time() - t0
    own1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy1, _ = cpu_times()
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    own = (own1.ru_utime - own0.ru_utime) + (own1.ru_stime - own0.ru_stime)
    others = max(0.0, (busy1 - busy0) / ticks - own) / (wall * cores)
    records = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return records, others > busy_limit, others


def side_command(w, side, a):
    """The command that runs workload w on one side ("ours" or "pytorch"), with --threads unless the workload sets it."""
    options = list(w.options) + ([] if "--threads" in w.options else ["--threads", str(a.threads)])
    if side == "ours":
        return ["dotnet", DLL, "yardstick", w.model, *options]
    return [a.python, os.path.join(HERE, "pytorch_throughput.py"), w.model, *options]


def pick(records, measure):
    for r in records:
        if r.get("measure") == measure:
            return r["median"]
    sys.exit(f"No measure '{measure}' in {records}.")


def placement(env):
    records, _, _ = run(["dotnet", DLL, "yardstick", "placement"], env, 1.0)
    return pick(records, "pingpong_roundtrip_ns")


def describe_placement(ns):
    return f"{ns:.0f} ns round trip between cores 0 and 1 ({'near' if ns < NEAR_NS else 'far'})"


def cpu_model():
    """The first core's model name, family and model (a virtual machine may name only the brand), and its vector ISA."""
    fields = {}
    with open("/proc/cpuinfo") as f:
        for line in f:
            if not line.strip():
                break
            key, _, value = line.partition(":")
            fields[key.strip()] = value.strip()
    flags = " " + fields.get("flags", "") + " "
    isa = "AVX-512" if " avx512f " in flags else "AVX2" if " avx2 " in flags else "no AVX2"
    return (f"{fields.get('model name', platform.processor() or 'unknown CPU')} (family {fields.get('cpu family', '?')}, "
            f"model {fields.get('model', '?')}), {os.cpu_count()} logical CPUs, {isa}")


def fmt(value, unit):
    if value is None:
        return "—"
    if unit in ("µs", "GFLOP/s") or value < 100:
        return f"{value:,.1f}"
    return f"{value:,.0f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--only", default="", help="comma-separated workload keys or models (see --list)")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--idle-busy", type=float, default=0.10, help="share of all cores that still counts as idle")
    ap.add_argument("--idle-timeout", type=float, default=900, help="seconds to wait for an idle machine before a run")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--ours-only", action="store_true")
    ap.add_argument("--python", default="/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable)
    ap.add_argument("--placement", type=float, default=0, help="seconds of near/far pairs instead of rounds (see above)")
    ap.add_argument("--output")
    a = ap.parse_args()

    if a.list:
        for w in WORKLOADS:
            print(f"{w.key:32s} {w.label}")
        return
    wanted = {s for s in a.only.split(",") if s}
    workloads = [w for w in WORKLOADS if not wanted or w.key in wanted or w.model in wanted]
    if not workloads:
        sys.exit(f"No workload matches --only {a.only}; see --list.")

    if not a.no_build:
        subprocess.run(["dotnet", "build", "-c", "Release", os.path.join(HERE, "MlNetDeep.Benchmarks.csproj")], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    env = dict(os.environ)
    py_env = dict(env, OMP_NUM_THREADS=str(a.threads), OPENBLAS_NUM_THREADS=str(a.threads))
    if os.path.isdir(OPENBLAS_OPENMP):
        py_env["LD_LIBRARY_PATH"] = OPENBLAS_OPENMP + (":" + env["LD_LIBRARY_PATH"] if env.get("LD_LIBRARY_PATH") else "")
    torch_version = "—"
    if not a.ours_only:
        probe = subprocess.run([a.python, "-c", "import torch; import importlib.util as u; print(torch.__version__, "
                                "__import__('torchvision').__version__ if u.find_spec('torchvision') else 'no torchvision')"],
                               env=py_env, capture_output=True, text=True)
        if probe.returncode != 0:
            sys.exit(f"{a.python} cannot import torch; install Debian's python3-torch libopenblas0-openmp, or pass --ours-only.")
        torch_version = "PyTorch {}, torchvision {}".format(*probe.stdout.split(maxsplit=1)).strip()

    if a.placement > 0:
        placement_costs(workloads, a, env, py_env, torch_version)
        return

    started = datetime.datetime.now(datetime.timezone.utc)
    load_start = open("/proc/loadavg").read().split()[:3]
    wait_idle(a.idle_busy, a.idle_timeout)
    placement_start = placement(env)
    peak = pick(run(["dotnet", DLL, "yardstick", "peak", "--threads", str(a.threads)], env, 1.0)[0], "gflop_per_s")
    flops = {}
    if not a.ours_only:
        models = sorted({w.model for w in workloads if w.unit == "img/s" or w.unit == "µs"} - {"lenet-mlnet"})
        done = subprocess.run([a.python, os.path.join(HERE, "pytorch_throughput.py"), "--flops", *models],
                              cwd=ROOT, env=py_env, capture_output=True, text=True, check=True)
        flops = {r["model"]: r["median"] for r in map(json.loads, done.stdout.splitlines())}
    results = {(w.key, side): [] for w in workloads for side in ("ours", "pytorch")}
    references = {w.key: [] for w in workloads}
    paired = {w.key: [] for w in workloads}
    gate_timeouts = 0
    for r in range(a.rounds):
        for w in workloads:
            sides = ["ours"] if w.ours_only or a.ours_only else (["ours", "pytorch"] if r % 2 == 0 else ["pytorch", "ours"])
            for side in sides:
                command = side_command(w, side, a)
                if not wait_idle(a.idle_busy, a.idle_timeout):
                    gate_timeouts += 1
                records, disturbed, others = run(command, env if side == "ours" else py_env, a.idle_busy)
                value = pick(records, w.measure)
                results[(w.key, side)].append((value, disturbed))
                if w.reference and side == "ours":
                    references[w.key].append((pick(records, w.reference), disturbed))
                if w.paired and side == "ours":
                    paired[w.key].append((pick(records, w.paired), disturbed))
                print(f"round {r + 1}/{a.rounds} {w.key:30s} {side:8s} {value:12,.1f} {w.unit}"
                      f"{'  disturbed (others used %.0f%%)' % (100 * others) if disturbed else ''}", file=sys.stderr, flush=True)
    placement_end = placement(env)

    def median(pairs):
        kept = [v for v, disturbed in pairs if not disturbed]
        return (statistics.median(kept), False) if kept else ((statistics.median(v for v, _ in pairs), True) if pairs else (None, False))

    dropped = sum(d for pairs in results.values() for _, d in pairs)
    lines = [
        f"Side by side, {started:%Y-%m-%d %H:%M} UTC: {cpu_model()}; {a.threads} threads a side; "
        f"placement {describe_placement(placement_start)} before, {describe_placement(placement_end)} after.",
        f"MlNetDeep {git_revision()} on .NET {dotnet_version()}; {torch_version} on OpenBLAS (OpenMP). {a.rounds} round{'s' if a.rounds != 1 else ''}, the sides "
        f"alternated, each run after an idle gate; {dropped} disturbed runs left out{f', {gate_timeouts} runs started without an idle machine' if gate_timeouts else ''}; "
        f"load average at the start {' '.join(load_start)}. Ratio: our speed over PyTorch's (> 1: MlNetDeep faster).",
        "",
        f"GFLOP/s: one image's forward multiply-adds ×2 (convolutions and linear layers), ×3 for a training step, "
        f"times images/s; share of the FMA peak measured on {a.threads} threads (`yardstick peak`): {peak:,.0f} GFLOP/s.",
        "",
        "| workload | MlNetDeep | PyTorch | ratio | GFLOP/s MlNetDeep (of peak) | GFLOP/s PyTorch (of peak) |",
        "|---|---|---|---|---|---|",
    ]

    def gflops(w, value):
        if value is None:
            return "—"
        if w.unit == "GFLOP/s":
            rate = value
        elif w.model in flops:
            per_second = 1e6 / value if w.unit == "µs" else value
            rate = per_second * flops[w.model] * (3 if "--train-only" in w.options else 1) / 1e9
        else:
            return "—"
        return f"{rate:,.1f} ({100 * rate / peak:.0f} %)"

    for w in workloads:
        ours, ours_all_disturbed = median(results[(w.key, "ours")])
        theirs, theirs_all_disturbed = median(results[(w.key, "pytorch")])
        mark = lambda flag: " †" if flag else ""
        if w.ours_only:
            reference, _ = median(references[w.key])
            ratio = f"{ours / reference:.2f}× of our batch inference ({fmt(reference, w.unit)} {w.unit})" if reference else "—"
            if w.paired and paired[w.key]:
                ratio += f"; paired within runs {median(paired[w.key])[0] / 100:.2f}×"
        elif ours is None or theirs is None:
            ratio = "—"
        else:
            ratio = f"**{(theirs / ours if w.lower_is_better else ours / theirs):.2f}×**"
        suffix = ""
        if w.model.endswith("-224") and "--train-only" in w.options and ours and theirs:
            batch = int(w.measure.split("_b")[1].split("_")[0])
            suffix = f" ({batch / ours:.3f} s / {batch / theirs:.3f} s a step)"
        lines.append(f"| {w.label} ({w.unit}){suffix} | {fmt(ours, w.unit)}{mark(ours_all_disturbed)} | "
                     f"{fmt(theirs, w.unit)}{mark(theirs_all_disturbed)} | {ratio} | {gflops(w, ours)} | "
                     f"{gflops(w, None if w.ours_only else theirs)} |")
    if any(median(p)[1] for p in results.values()):
        lines.append("")
        lines.append("† every run of this side was disturbed by other processes: the figure is their median.")
    table = "\n".join(lines)
    print(table)
    if a.output:
        with open(a.output, "w") as f:
            f.write(table + "\n")


def placement_costs(workloads, a, env, py_env, torch_version):
    """Near/far pairs for --placement seconds (see the module's help); prints and writes the table."""
    workloads = [w for w in workloads if not w.ours_only]
    if not workloads or a.ours_only:
        sys.exit("--placement compares both sides: choose workloads PyTorch runs too, without --ours-only.")
    started = datetime.datetime.now(datetime.timezone.utc)
    kept = {(w.key, kind): [] for w in workloads for kind in ("near", "far")}
    dropped = 0
    end = time.time() + a.placement
    while time.time() < end:
        for w in workloads:
            readings, values, disturbed = [placement(env)], [], False
            for side, side_env in (("ours", env), ("pytorch", py_env)):
                wait_idle(a.idle_busy, a.idle_timeout)
                records, run_disturbed, _ = run(side_command(w, side, a), side_env, a.idle_busy)
                values.append(pick(records, w.measure))
                disturbed |= run_disturbed
                readings.append(placement(env))
            kinds = {"near" if ns < NEAR_NS else "far" for ns in readings}
            left_out = " (disturbed: left out)" if disturbed else " (placement moved: left out)" if len(kinds) != 1 else ""
            print(f"{w.key:28s} {'/'.join(f'{ns:.0f}' for ns in readings)} ns: ours {values[0]:,.1f}, PyTorch {values[1]:,.1f}{left_out}", flush=True)
            if left_out:
                dropped += 1
            else:
                kept[(w.key, kinds.pop())].append(tuple(values))

    def cost(near, far, lower_is_better):
        if near is None or far is None:
            return "—"
        return f"{(far / near - 1 if lower_is_better else 1 - far / near) * 100:.0f} %"

    lines = [f"Placement costs, {started:%Y-%m-%d %H:%M} UTC, {a.placement:.0f} s of pairs: {cpu_model()}; {a.threads} threads a side.",
             f"MlNetDeep {git_revision()} on .NET {dotnet_version()}; {torch_version} on OpenBLAS (OpenMP). A pair counts when "
             f"its three placement readings agree and neither run was disturbed; {dropped} pairs left out.", "",
             "| workload | pairs near / far | MlNetDeep near | far | far costs | PyTorch near | far | far costs |",
             "|---|---|---|---|---|---|---|---|"]
    for w in workloads:
        near, far = kept[(w.key, "near")], kept[(w.key, "far")]
        ours_near = statistics.median(v[0] for v in near) if near else None
        ours_far = statistics.median(v[0] for v in far) if far else None
        theirs_near = statistics.median(v[1] for v in near) if near else None
        theirs_far = statistics.median(v[1] for v in far) if far else None
        lines.append(f"| {w.label} ({w.unit}) | {len(near)} / {len(far)} | {fmt(ours_near, w.unit)} | {fmt(ours_far, w.unit)} | "
                     f"{cost(ours_near, ours_far, w.lower_is_better)} | {fmt(theirs_near, w.unit)} | {fmt(theirs_far, w.unit)} | "
                     f"{cost(theirs_near, theirs_far, w.lower_is_better)} |")
    table = "\n".join(lines)
    print(table)
    if a.output:
        with open(a.output, "w") as f:
            f.write(table + "\n")


def git_revision():
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return done.stdout.strip() or "(no git)"


def dotnet_version():
    done = subprocess.run(["dotnet", "--version"], capture_output=True, text=True)
    return done.stdout.strip()


if __name__ == "__main__":
    main()
