using BenchmarkDotNet.Attributes;
using MlNetDeep.Kernels;

namespace MlNetDeep.Benchmarks;

/// <summary>
/// Dispatch overhead of <see cref="WorkerPool"/> against <see cref="Parallel.For(int, int, Action{int})"/>:
/// a parallel loop whose items do (almost) nothing, so the time is the cost of fanning out and joining.
/// </summary>
public unsafe class GemmDispatchBenchmarks
{
    private static readonly Action<int> ParallelBody = static i => Volatile.Write(ref sink, i);
    private static int sink;
    private readonly NoopJob job = new();

    /// <summary>Items per call (2 = one per core here).</summary>
    [Params(2, 16)]
    public int Count { get; set; }

    /// <summary>WorkerPool with a function pointer and a stack state.</summary>
    [Benchmark(Baseline = true)]
    public void WorkerPoolFunctionPointer()
    {
        int state = 0;
        WorkerPool.For(Count, &state, &Noop);
    }

    /// <summary>WorkerPool with a cached job object.</summary>
    [Benchmark]
    public void WorkerPoolJob() => WorkerPool.For(Count, job);

    /// <summary>The framework's Parallel.For.</summary>
    [Benchmark]
    public void ParallelFor() => Parallel.For(0, Count, ParallelBody);

    private static void Noop(int* state, int index) => Volatile.Write(ref sink, index + *state);

    private sealed class NoopJob : ParallelJob
    {
        public override void Execute(int index) => Volatile.Write(ref sink, index);
    }
}
