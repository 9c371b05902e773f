namespace MlNetDeep.Kernels;

/// <summary>
/// A unit of parallel work for <see cref="WorkerPool.For(int, ParallelJob)"/>. Derive from it, keep the
/// inputs in fields and cache the instance, so dispatching allocates nothing. One instance must not be
/// run by two <see cref="WorkerPool.For(int, ParallelJob)"/> calls at the same time.
/// </summary>
public abstract class ParallelJob
{
    /// <summary>Runs one item. Called once for every index in <c>[0, count)</c>, possibly concurrently.</summary>
    /// <param name="index">The item's index.</param>
    public abstract void Execute(int index);
}
