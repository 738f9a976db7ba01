"""lrfinder: the learning-rate range test as a massive batch, in-process.

    import lrfinder
    result = lrfinder.run(x, y, trials=4096, loss="huber", minibatch=32)
    result.suggested_lr          # the headline answer: one learning rate
    result.trials                # one row per trial (pandas DataFrame)
    result.loss, result.lr       # trajectories, numpy arrays (trial, step), NaN past a trial's end
    result.plot()                # the figures of `lrfinder run --plot`
    result.save("run.h5")        # the same HDF5 file `lrfinder run` writes
    lrfinder.open("run.h5")      # any result file (also merged ones) as the same object

`run` takes the options of `lrfinder run` as keywords (base_lr for --base-lr) and gives the same file,
bit for bit, for the same settings.
"""
from ._lrfinder import __version__, backends, rules
from ._result import Result, open
from ._run import run

__all__ = ["Result", "__version__", "backends", "open", "rules", "run"]
