using System.Runtime.ExceptionServices;

namespace MlNetDeep.Kernels;

/// <summary>
/// Work that one of <see cref="WorkerPool"/>'s threads runs while the thread that started it goes on
/// (<see cref="WorkerPool.TryStartInBackground"/>); <see cref="Wait"/> returns once it has finished and rethrows what it
/// threw. While it runs, pool calls from other threads run serially on their callers. Cache the instance: starting it
/// allocates nothing. It releases the pool when it finishes, whether or not anyone waits for it.
/// </summary>
internal abstract class BackgroundJob : ParallelJob
{
    private const int Idle = 0;
    private const int Running = 1;
    private const int Finished = 2;

    private int _state;
    private ExceptionDispatchInfo? _error;

    /// <summary>True from a successful start until <see cref="Wait"/> has returned.</summary>
    public bool IsStarted => Volatile.Read(ref _state) != Idle;

    /// <summary>True once the work has finished (and until <see cref="Wait"/> is called).</summary>
    public bool IsFinished => Volatile.Read(ref _state) == Finished;

    /// <summary>The work; runs on a worker thread (nested pool calls there run serially).</summary>
    protected abstract void Run();

    /// <summary>Runs the work (the pool's only item of this job).</summary>
    /// <param name="index">Always 0.</param>
    public sealed override void Execute(int index) => Run();

    /// <summary>
    /// Waits until the work has finished, if it was started, and rethrows the exception it threw; then it can be
    /// started again.
    /// </summary>
    public void Wait()
    {
        if (Volatile.Read(ref _state) == Idle)
        {
            return;
        }

        if (Volatile.Read(ref _state) != Finished)
        {
            var spinner = default(SpinWait);
            while (Volatile.Read(ref _state) != Finished)
            {
                spinner.SpinOnce(sleep1Threshold: -1);
            }
        }

        var error = _error;
        _error = null;
        Volatile.Write(ref _state, Idle);
        error?.Throw();
    }

    /// <summary>Marks the job as handed to a worker (by the pool, which holds it).</summary>
    internal bool TryMarkRunning() => Interlocked.CompareExchange(ref _state, Running, Idle) == Idle;

    /// <summary>Undoes <see cref="TryMarkRunning"/> for a job the pool could not start after all.</summary>
    internal void MarkIdle() => Volatile.Write(ref _state, Idle);

    /// <summary>Records the job's end (by the worker that ran it): its exception, if any, then the finished state.</summary>
    internal void MarkFinished(ExceptionDispatchInfo? error)
    {
        _error = error;
        Volatile.Write(ref _state, Finished);
    }
}
