# Runs lrfinder on several workloads and checks every trial against the seed's loop in numpy
# (scripts/reference.py check), bit for bit.
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})

# The file is NAME.h5 (NAME-shard-K-of-N.h5 for a shard: pass it as NAME).
function(run_and_check name)
  string(REGEX REPLACE "-shard-.*" "" out ${name})
  execute_process(COMMAND ${LRFINDER} run -q -o ${WORK}/${out}.h5 ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "lrfinder run ${ARGN}: exit ${rc}")
  endif()
  execute_process(COMMAND ${PYTHON} ${SOURCE}/scripts/reference.py check ${WORK}/${name}.h5
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  message(STATUS "${name}: ${out}${err}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${name}: differs from the seed's loop")
  endif()
endfunction()

# The seed's workload: both scans, start weights in [-5, 10].
run_and_check(seed -n 400 --seed 7 --backend cpu)
run_and_check(seed_serial -n 100 --seed 8 --backend serial --epochs 300)
# Stored as float32, only loss and lr, compressed.
run_and_check(f32 -n 150 --seed 11 --precision f32 --save loss,lr --compress deflate:3)
# A relative stop (status rose) and a scan given by its end rate.
run_and_check(stop -n 200 --seed 12 --stop-factor 4 --end-lr 1 --epochs 150)
# Drawn factors and a wider start range.
run_and_check(ranges -n 200 --seed 9 --linear-factors 1e-5:1e-2 --exp-factors 1.01:1.5 --w-min -50 --w-max 60)

# Noisy data past numpy's 8192-element buffers, in this numpy's summation order.
execute_process(COMMAND ${PYTHON} -c "
import numpy as np
rng = np.random.default_rng(3)
x = np.linspace(-2, 5, 9000)
y = 0.7 * x + rng.normal(size=x.size)
np.savetxt('${WORK}/noisy.csv', np.c_[x, y], delimiter=',', header='x,y', comments='', fmt='%.17g')
major, minor = (int(p) for p in np.__version__.split('.')[:2])
print('blocked' if (major, minor) < (2, 3) else 'whole', end='')"
  OUTPUT_VARIABLE mode RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "python3 with numpy and h5py is needed (scripts/test.sh installs them)")
endif()
run_and_check(noisy -n 24 --seed 10 --data ${WORK}/noisy.csv --numpy-sum ${mode} --epochs 200)

# The other losses and minibatches: numpy's expressions (the logistic loss with fdlibm's exp and log1p,
# in numpy operations) and the Philox draws of each evaluation's points.
execute_process(COMMAND ${PYTHON} -c "
import numpy as np
rng = np.random.default_rng(4)
x = np.linspace(-3, 3, 300)
y = (x + rng.normal(size=x.size) > 0.5).astype(float)
np.savetxt('${WORK}/labels.csv', np.c_[x, y], delimiter=',', header='x,y', comments='', fmt='%.17g')"
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "python3 with numpy is needed (scripts/test.sh installs it)")
endif()
run_and_check(mae -n 100 --seed 13 --loss mae --data ${WORK}/noisy.csv --numpy-sum ${mode} --epochs 150)
run_and_check(huber -n 100 --seed 14 --loss huber:0.5 --backend serial --epochs 200)
run_and_check(logistic -n 80 --seed 15 --loss logistic --data ${WORK}/labels.csv --epochs 200)
run_and_check(minibatch -n 120 --seed 16 --minibatch 16 --data ${WORK}/noisy.csv --numpy-sum ${mode} --epochs 200)
# A shard: its trials' draws are keyed by their index in the whole run.
run_and_check(minibatch_huber-shard-2-of-3 -n 60 --seed 17 --minibatch 5 --loss huber --shard 2/3 --epochs 100)
run_and_check(minibatch_logistic -n 60 --seed 18 --minibatch 200 --loss logistic --data ${WORK}/labels.csv
              --epochs 100)
