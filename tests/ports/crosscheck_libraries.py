#!/usr/bin/env python3
"""Cross-check library_rules.py against the real libraries, bit for bit.

    python crosscheck_libraries.py [--cases N] [--seed S]

Needs a Python with torch, fastai, lightning, torch-lr-finder and pytorch-ignite (none of which the project needs
otherwise; this script is not collected by pytest). Each library runs its real range-test loop on a scripted loss
sequence: the model's loss at iteration i is the trial's loss[i] (NaN past `steps` for a stalled trial; the loader
runs out past `steps` for a diverged or completed one), and the library's rate schedule is patched to lrfinder's
rates r_i (fastai LRFinder.before_batch, Lightning/torch-lr-finder/ignite get_lr), which is the mapping in
README.md. torch's default dtype is set to float64 and fastai's lr_find `tensor()` is replaced by torch.tensor, so
that every library computes in float64, as the ports do. Everything else is the library's own code.

Compared, bitwise (NaN equal to NaN): each library's recorded (lr, loss) lists against the port's simulation, and
every rule's answer against the port's. Exit 1 on any difference.
"""
import argparse
import math
import os
import sys
import tempfile
import warnings

import numpy as np
import torch

torch.set_default_dtype(torch.float64)
torch.set_num_threads(1)
warnings.filterwarnings("ignore")
os.environ.setdefault("MPLBACKEND", "Agg")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import library_rules as L  # noqa: E402


class OutOfData(Exception):
    pass


class Feed:
    """The scripted losses: call k returns the loss of iteration k (see library_rules.measured_loss)."""

    def __init__(self, row, steps, status):
        self.row, self.steps, self.status, self.k = row, steps, status, 0

    def next(self):
        v = L.measured_loss(self.row, self.steps, self.status, self.k)
        if v is None:
            raise OutOfData()
        self.k += 1
        return v


FEED = None
RATES = None


def scripted_loss(like):
    return torch.tensor(FEED.next(), dtype=torch.float64) + 0.0 * like.sum()


# ---------------------------------------------------------------- fastai
def run_fastai(case):
    from fastai.basics import Learner, DataLoaders, nn
    from fastai.data.load import DataLoader as FDL
    import fastai.callback.schedule as fs
    from fastai.callback.core import CancelFitException

    import fastai.learner as fl

    fs.tensor = lambda x: torch.tensor(x)  # lr_find's tensor(): float64 instead of fastai's float32

    def reset(self):  # AvgSmoothLoss.reset: "self.count,self.val = 0,tensor(0.)", float64 instead of float32
        self.count, self.val = 0, torch.tensor(0.)

    fl.AvgSmoothLoss.reset = reset

    def before_batch(self):  # LRFinder.before_batch: lrfinder's rate r_i for train_iter i
        self.opt.set_hyper("lr", RATES[self.train_iter])

    fs.LRFinder.before_batch = before_batch

    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.p = nn.Parameter(torch.zeros(1))

        def forward(self, x):
            return x * 0 + self.p

    def loss_func(pred, y):
        try:
            return scripted_loss(pred)
        except OutOfData:
            raise CancelFitException()

    n = case["epochs"] + 10
    ds = [(torch.zeros(1), torch.zeros(1))] * n
    dls = DataLoaders(FDL(ds, bs=1), FDL(ds, bs=1), device="cpu")
    with tempfile.TemporaryDirectory() as d:
        learn = Learner(dls, M(), loss_func=loss_func, path=d, lr=case["base_lr"])
        from fastai.callback.progress import ProgressCallback
        learn.remove_cbs(ProgressCallback)
        out = {}
        funcs = (("fastai-valley", fs.valley), ("fastai-slide", fs.slide), ("fastai-minimum", fs.minimum),
                 ("fastai-steep", fs.steep))
        try:  # lr_find itself; it raises inside a suggestion function when there are too few points
            res = learn.lr_find(start_lr=case["base_lr"], num_it=case["epochs"], stop_div=True, show_plot=False,
                                suggest_funcs=tuple(f for _, f in funcs))
            whole = {name: float(v) for (name, _), v in zip(funcs, res)}
        except (IndexError, ValueError, RuntimeError) as e:
            if os.environ.get("CROSSCHECK_DEBUG"):
                import traceback
                traceback.print_exc()
            whole = None
        rec_lrs = [float(v) for v in learn.recorder.lrs]
        rec_losses = [float(v) for v in learn.recorder.losses]
        # each suggestion function on its own, after lr_find's own trim and NaN cut (copied from lr_find), so that
        # one function raising does not hide the others' answers
        num_it = case["epochs"]
        lrs = fs.tensor(rec_lrs[num_it // 10:-5])
        losses = fs.tensor(rec_losses[num_it // 10:-5])
        nan_idxs = torch.nonzero(torch.isnan(losses.view(-1)))
        if len(nan_idxs) > 0:
            drop_idx = min(nan_idxs)
            lrs, losses = lrs[:drop_idx], losses[:drop_idx]
        for name, f in funcs:
            try:
                out[name] = float(f(lrs, losses, num_it)[0])
            except (IndexError, ValueError, RuntimeError):
                out[name] = math.nan
        if whole is not None:
            for name in whole:
                assert same(whole[name], out[name]), (name, whole[name], out[name])
    return (rec_lrs, rec_losses), out


# ---------------------------------------------------------------- Lightning
def run_lightning(case):
    import logging
    import lightning.pytorch as pl
    import lightning.pytorch.tuner.lr_finder as lf
    from lightning.pytorch.tuner import Tuner
    from torch.utils.data import DataLoader, TensorDataset

    logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
    logging.getLogger("lightning").setLevel(logging.ERROR)

    def get_lr(self):
        val = [RATES[self.last_epoch] for _ in self.base_lrs]
        self._lr = val
        return val

    lf._ExponentialLR.get_lr = get_lr

    n_data = case["steps"] + 1 if case["status"] != L.STALLED else case["epochs"] + 10

    class LM(pl.LightningModule):
        def __init__(self):
            super().__init__()
            self.lr = case["base_lr"]
            self.p = torch.nn.Parameter(torch.zeros(1))

        def training_step(self, batch, batch_idx):
            return scripted_loss(self.p)

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=self.lr)

        def train_dataloader(self):
            return DataLoader(TensorDataset(torch.zeros(n_data, 1)), batch_size=1)

    with tempfile.TemporaryDirectory() as d:
        trainer = pl.Trainer(max_epochs=1, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                             enable_model_summary=False, accelerator="cpu", default_root_dir=d)
        finder = Tuner(trainer).lr_find(LM(), min_lr=case["base_lr"], num_training=case["epochs"])
        sug = finder.suggestion()
    return (list(finder.results["lr"]), list(finder.results["loss"])), {
        "lightning": math.nan if sug is None else float(sug)}


# ---------------------------------------------------------------- torch-lr-finder
def run_torch_lr_finder(case):
    import torch_lr_finder.lr_finder as tlf
    from torch.utils.data import DataLoader, TensorDataset

    tlf.ExponentialLR.get_lr = lambda self: [RATES[self.last_epoch] for _ in self.base_lrs]
    tlf.plt.show = lambda *a, **k: None
    model = torch.nn.Linear(1, 1)
    opt = torch.optim.SGD(model.parameters(), lr=case["base_lr"])

    def criterion(out, y):
        return scripted_loss(out)

    loader = DataLoader(TensorDataset(torch.zeros(case["epochs"] + 10, 1), torch.zeros(case["epochs"] + 10, 1)),
                        batch_size=1)
    finder = tlf.LRFinder(model, opt, criterion, device="cpu")
    try:
        finder.range_test(loader, start_lr=case["base_lr"], num_iter=case["epochs"])
    except OutOfData:
        pass
    except ValueError:  # num_iter <= 1
        return None, {"torch-lr-finder": math.nan}
    import io
    import contextlib
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            res = finder.plot()
    except RuntimeError:  # PyPI 0.2.2: "Need at least 17 iterations to suggest a learning rate"
        res = None
    tlf.plt.close("all")
    sug = res[1] if isinstance(res, tuple) else math.nan
    return (list(finder.history["lr"]), list(finder.history["loss"])), {"torch-lr-finder": float(sug)}


# ---------------------------------------------------------------- ignite
def run_ignite(case, num_iter_default=False):
    import logging
    from ignite.engine import Engine
    import ignite.handlers.lr_finder as ilf

    logging.getLogger("ignite").setLevel(logging.ERROR)
    ilf._ExponentialLR.get_lr = lambda self: [RATES[self.last_epoch + 1] for _ in self.base_lrs]
    model = torch.nn.Linear(1, 1)
    opt = torch.optim.SGD(model.parameters(), lr=case["base_lr"])

    def step(engine, batch):
        opt.zero_grad()
        loss = scripted_loss(model(torch.zeros(1, 1)))
        loss.backward()
        opt.step()
        return loss.item()

    trainer = Engine(step)
    finder = ilf.FastaiLRFinder()
    if num_iter_default:  # attach(num_iter=None): num_iter is the run's length, epoch_length * max_epochs
        data, num_iter = list(range(case["epochs"])), None
    else:  # attach(num_iter=epochs) on a longer run
        data, num_iter = list(range(case["epochs"] + 10)), case["epochs"]
    try:
        with finder.attach(trainer, to_save={"model": model, "optimizer": opt}, num_iter=num_iter) as t:
            t.run(data, max_epochs=1)
    except OutOfData:
        pass
    try:
        sug = float(finder.lr_suggestion())
    except RuntimeError:
        sug = math.nan
    h = finder.get_results()
    return (list(h["lr"]), list(h["loss"])), {"ignite" + ("(num_iter=None)" if num_iter_default else ""): sug}


# ---------------------------------------------------------------- cases
def make_cases(n, seed):
    rng = np.random.default_rng(seed)
    cases = []

    def add(name, losses, steps, status, epochs, base_lr=1.0, scan=L.LINEAR, factor=1.0):
        row = np.full(epochs + 1, np.nan)
        row[: steps + 1] = losses[: steps + 1]
        cases.append(dict(name=name, row=row, steps=steps, status=status, epochs=epochs, base_lr=base_lr,
                          scan=scan, factor=factor))

    # the hand-made cases of test_ports.py
    import test_ports as T
    for name, c in T.HAND_CASES.items():
        add(name, np.asarray(c["row"], dtype=float), c["steps"], c["status"], c["epochs"], c["base_lr"], c["scan"],
            c["factor"])
    # the seed's loop (scripts/reference.py) on its data, both scans
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
    try:
        import reference as R
        x = np.arange(-3.0, 10.0, 1.0)
        y = 2.5 * x
        for k in range(6):
            w0 = float(rng.uniform(-5, 10))
            scan = k % 2
            factor = [0.0005, 1.1][scan] * float(rng.uniform(0.5, 2.0))
            epochs = int(rng.choice([20, 60, 200, 500]))
            lrs, losses, ws, st = R.seed_trial(x, y, w0, scan, factor, base_lr=1e-7, epochs=epochs)
            add(f"seed-{k}", np.array(losses), len(losses) - 1, st, epochs, 1e-7, scan, factor)
    except ImportError:
        pass
    # random curves: U shapes with noise, plateaus and ties, inf, stalled NaN tails, short and long
    for k in range(n):
        epochs = int(rng.choice([1, 2, 3, 5, 6, 7, 12, 16, 25, 40, 80, 150]))
        status = int(rng.choice([L.DIVERGED, L.COMPLETED, L.STALLED]))
        steps = epochs if status == L.COMPLETED else int(rng.integers(0, epochs + 1))
        if status == L.STALLED:
            steps = min(steps, epochs - 1) if epochs > 1 else 0
        t = np.arange(steps + 1)
        m = rng.uniform(0.2, 0.9) * max(steps, 1)
        curve = 1.0 + (t - m) ** 2 * rng.uniform(0.01, 1.0) + rng.normal(0, rng.choice([0.0, 0.01, 0.3]),
                                                                        t.size)
        if rng.random() < 0.3:
            curve = np.round(curve, 1)  # ties
        if rng.random() < 0.15 and steps > 2:
            curve[rng.integers(1, steps + 1)] = np.inf
        if rng.random() < 0.1 and steps > 2:
            curve[rng.integers(1, steps + 1)] = np.nan
        if status == L.DIVERGED:
            curve[steps] = 1e8
        scan = int(rng.integers(0, 2))
        factor = float(rng.choice([1e-3, 0.05, 1.0])) if scan == L.LINEAR else float(rng.choice([1.05, 1.3, 2.0]))
        base_lr = float(rng.choice([1e-7, 1e-3, 1.0]))
        add(f"random-{k}", curve, steps, status, epochs, base_lr, scan, factor)
    return cases


def same(a, b):
    a, b = float(a), float(b)
    return (a != a and b != b) or np.float64(a).view(np.uint64) == np.float64(b).view(np.uint64)


def same_list(a, b):
    return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))


def main():
    global FEED, RATES
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    libs = {
        "fastai": (run_fastai, L.fastai_record),
        "lightning": (run_lightning, L.lightning_record),
        "torch-lr-finder": (run_torch_lr_finder, L.torch_lr_finder_record),
        "ignite": (run_ignite, L.ignite_record),
        "ignite-num_iter-None": (lambda c: run_ignite(c, num_iter_default=True),
                                 lambda *a: L.ignite_record(*a, extra_iteration=False)),
    }
    if args.only:
        libs = {k: v for k, v in libs.items() if k in args.only.split(",")}
    cases = make_cases(args.cases, args.seed)
    checks, bad = {}, {}
    for case in cases:
        port_args = (case["row"], case["base_lr"], case["scan"], case["factor"], case["steps"], case["status"],
                     case["epochs"])
        port = L.suggest_all(*port_args)
        port["ignite(num_iter=None)"] = L._ignite_suggestion(*L.ignite_record(*port_args, extra_iteration=False))
        for lib, (runner, recorder) in libs.items():
            FEED = Feed(case["row"], case["steps"], case["status"])
            RATES = L.Rates(case["base_lr"], case["scan"], case["factor"])
            import contextlib
            import io
            quiet = io.StringIO()
            with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
                lists, answers = runner(case)
            rec = recorder(*port_args)
            problems = []
            key = f"{lib} lists"
            checks[key] = checks.get(key, 0) + 1
            if lists is not None or rec is not None:
                if lists is None or rec is None or not (same_list(lists[0], rec[0]) and same_list(lists[1], rec[1])):
                    bad[key] = bad.get(key, 0) + 1
                    problems.append(f"lists differ: lib {None if lists is None else (len(lists[0]), lists[1][:3])}"
                                    f" port {None if rec is None else (len(rec[0]), rec[1][:3])}")
            for rule, v in answers.items():
                checks[rule] = checks.get(rule, 0) + 1
                if not same(v, port[rule]):
                    bad[rule] = bad.get(rule, 0) + 1
                    problems.append(f"{rule}: lib {v!r} port {port[rule]!r}")
            if problems:
                print(f"DIFF {case['name']} ({lib}; steps {case['steps']} status {case['status']} epochs "
                      f"{case['epochs']}): " + "; ".join(problems))
    for key, n in checks.items():
        print(f"{key}: {n} compared, {bad.get(key, 0)} differ")
    total, failed = sum(checks.values()), sum(bad.values())
    print(f"{len(cases)} cases")
    print(f"{total - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
