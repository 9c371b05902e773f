"""OpenBLAS side of the GEMM comparison: times numpy.matmul (OpenBLAS, 2 threads) into a preallocated output.

usage: OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=2 LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp \
       /usr/bin/python3 tests/MlNetDeep.Benchmarks/openblas_gemm.py [NN:m:n:k ...]
"""
import numpy as np, time, sys
shapes = sys.argv[1:] or ["NN:1024:1024:1024","NN:64:256:784","NN:64:128:256","NN:64:10:128","NT:64:784:256","TN:784:256:64","NN:256:256:784","NN:256:128:256"]
for s in shapes:
    t,m,n,k = s.split(':'); m,n,k=int(m),int(n),int(k)
    A = np.random.rand(k,m).astype(np.float32) if t[0]=='T' else np.random.rand(m,k).astype(np.float32)
    B = np.random.rand(n,k).astype(np.float32) if t[1]=='T' else np.random.rand(k,n).astype(np.float32)
    opA = A.T if t[0]=='T' else A
    opB = B.T if t[1]=='T' else B
    C = np.empty((m,n),dtype=np.float32)
    flop=2.0*m*n*k
    reps=max(3,int(2e8/flop))
    for _ in range(3): np.matmul(opA,opB,out=C)
    ts=[]
    for trial in range(15):
        t0=time.perf_counter()
        for r in range(reps): np.matmul(opA,opB,out=C)
        ts.append((time.perf_counter()-t0)/reps)
    ts.sort(); med=ts[len(ts)//2]; best=ts[0]
    print(f"{s:20s} median {med*1e6:9.1f} us {flop/med/1e9:6.1f} GF/s   best {best*1e6:9.1f} us {flop/best/1e9:6.1f} GF/s")
