using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace MlNetDeep.Kernels;

/// <summary>
/// A low-overhead parallel-for over persistent worker threads, for kernels that run thousands of times
/// per second on a few microseconds of work each.
/// </summary>
/// <remarks>
/// <para>
/// There is one worker thread per extra degree of parallelism (<see cref="MaxDegreeOfParallelism"/> − 1);
/// the calling thread takes items too. Items are claimed one at a time from a shared counter, so uneven
/// items balance themselves. Idle workers spin for <see cref="SpinMicroseconds"/> before they block, so
/// back-to-back calls wake them in well under a microsecond.
/// </para>
/// <para>
/// Two allocation-free forms: <c>For&lt;TState&gt;(int, TState*, delegate*&lt;TState*, int, void&gt;)</c>
/// takes a pointer to an unmanaged state struct (typically a local of the caller, which stays put because
/// the call blocks until every item is done) and a static function pointer;
/// <see cref="For(int, ParallelJob)"/> takes a job object the caller creates once and caches.
/// </para>
/// <para>
/// A call made from inside an item (a nested call), or while another thread's call is in progress, runs
/// its items serially on the calling thread. If items throw, the remaining unclaimed items are skipped and
/// the first exception is rethrown to the caller once every running item has finished.
/// </para>
/// </remarks>
public static unsafe class WorkerPool
{
    private static readonly object CreationGate = new();
    private static readonly SemaphoreSlim Wake = new(0, int.MaxValue);
    private static readonly List<Thread> Workers = [];

    private static int maxDegree = Math.Max(1, Environment.ProcessorCount);
    private static int spinMicroseconds = 200;

    // The current job. Written by the dispatching thread before it publishes a new generation in `ticket`.
    private static delegate*<void*, int, void> jobFunction;
    private static void* jobState;
    private static ParallelJob? jobObject;
    private static int jobCount;
    private static int jobWorkers;
    private static int jobFaulted;
    private static ExceptionDispatchInfo? jobError;

    // High 32 bits: generation; low 32 bits: next unclaimed index of that generation's job.
    private static long ticket;
    private static int done;
    private static int busy;
    private static int sleepers;

    [ThreadStatic]
    private static bool insideJob;

    /// <summary>
    /// The most threads (the caller included) one call uses. Defaults to <see cref="Environment.ProcessorCount"/>;
    /// values below 1 are treated as 1. Set it between calls, not during one.
    /// </summary>
    /// <remarks>
    /// It changes speed, never results: the engine's kernels cut their work into pieces fixed by the problem's size and
    /// add partial sums in a fixed order, so the same seed gives the same bits at any setting and on any core count.
    /// </remarks>
    public static int MaxDegreeOfParallelism
    {
        get => maxDegree;
        set => maxDegree = Math.Clamp(value, 1, 1024);
    }

    /// <summary>How long (microseconds) an idle worker spins for new work before it blocks. Defaults to 200.</summary>
    public static int SpinMicroseconds
    {
        get => spinMicroseconds;
        set => spinMicroseconds = Math.Max(0, value);
    }

    /// <summary>True on a thread that is running an item of a <see cref="WorkerPool"/> call.</summary>
    public static bool IsInsideJob => insideJob;

    /// <summary>
    /// Runs <paramref name="body"/>(<paramref name="state"/>, i) for every i in <c>[0, count)</c> across the
    /// pool and the calling thread, and returns when all have finished. Allocates nothing.
    /// </summary>
    /// <typeparam name="TState">An unmanaged struct holding the inputs.</typeparam>
    /// <param name="count">The number of items; nothing runs if it is zero or negative.</param>
    /// <param name="state">The shared state, passed to every item; it must stay valid for the call (a local is fine).</param>
    /// <param name="body">A static method to run for each index.</param>
    public static void For<TState>(int count, TState* state, delegate*<TState*, int, void> body)
        where TState : unmanaged
    {
        if (body == null)
        {
            throw new ArgumentNullException(nameof(body));
        }

        Dispatch(count, (delegate*<void*, int, void>)body, state, null);
    }

    /// <summary>
    /// Runs <paramref name="job"/>.<see cref="ParallelJob.Execute(int)"/> for every index in <c>[0, count)</c>
    /// across the pool and the calling thread, and returns when all have finished. Allocates nothing.
    /// </summary>
    /// <param name="count">The number of items; nothing runs if it is zero or negative.</param>
    /// <param name="job">The job; cache it and reuse it between calls.</param>
    public static void For(int count, ParallelJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        Dispatch(count, null, null, job);
    }

    private static void Dispatch(int count, delegate*<void*, int, void> function, void* state, ParallelJob? job)
    {
        if (count <= 0)
        {
            return;
        }

        int degree = maxDegree;
        if (count == 1 || degree <= 1 || insideJob || Interlocked.CompareExchange(ref busy, 1, 0) != 0)
        {
            RunSerially(count, function, state, job);
            return;
        }

        try
        {
            int workers = Math.Min(degree, count) - 1;
            EnsureWorkers(workers);
            jobFunction = function;
            jobState = state;
            jobObject = job;
            jobCount = count;
            jobWorkers = workers;
            jobFaulted = 0;
            jobError = null;
            done = 0;

            long next = (Volatile.Read(ref ticket) & unchecked((long)0xFFFF_FFFF_0000_0000)) + (1L << 32);
            int generation = (int)(next >> 32);
            Interlocked.Exchange(ref ticket, next);
            int waiting = Interlocked.Exchange(ref sleepers, 0);
            if (waiting > 0)
            {
                Wake.Release(waiting);
            }

            insideJob = true;
            try
            {
                RunItems(generation);
            }
            finally
            {
                insideJob = false;
            }

            if (Volatile.Read(ref done) != count)
            {
                var spinner = default(SpinWait);
                while (Volatile.Read(ref done) != count)
                {
                    spinner.SpinOnce(sleep1Threshold: -1);
                }
            }

            jobObject = null;
            jobState = null;
            ExceptionDispatchInfo? error = jobError;
            jobError = null;
            error?.Throw();
        }
        finally
        {
            Volatile.Write(ref busy, 0);
        }
    }

    private static void RunSerially(int count, delegate*<void*, int, void> function, void* state, ParallelJob? job)
    {
        bool wasInside = insideJob;
        insideJob = true;
        try
        {
            for (int i = 0; i < count; i++)
            {
                if (job is not null)
                {
                    job.Execute(i);
                }
                else
                {
                    function(state, i);
                }
            }
        }
        finally
        {
            insideJob = wasInside;
        }
    }

    /// <summary>Claims and runs items of the given generation until none is left.</summary>
    private static void RunItems(int generation)
    {
        while (true)
        {
            long current = Volatile.Read(ref ticket);
            if ((int)(current >> 32) != generation || (int)current >= Volatile.Read(ref jobCount))
            {
                return;
            }

            if (Interlocked.CompareExchange(ref ticket, current + 1, current) != current)
            {
                continue;
            }

            // The claim succeeded, so this generation's job cannot finish (and its fields cannot change)
            // before this item is counted as done.
            int index = (int)current;
            try
            {
                if (Volatile.Read(ref jobFaulted) == 0)
                {
                    ParallelJob? job = jobObject;
                    if (job is not null)
                    {
                        job.Execute(index);
                    }
                    else
                    {
                        jobFunction(jobState, index);
                    }
                }
            }
            catch (Exception e)
            {
                if (Interlocked.Exchange(ref jobFaulted, 1) == 0)
                {
                    jobError = ExceptionDispatchInfo.Capture(e);
                }
            }
            finally
            {
                Interlocked.Increment(ref done);
            }
        }
    }

    private static void EnsureWorkers(int wanted)
    {
        if (Workers.Count >= wanted)
        {
            return;
        }

        lock (CreationGate)
        {
            while (Workers.Count < wanted)
            {
                int id = Workers.Count;
                var thread = new Thread(() => WorkerLoop(id))
                {
                    IsBackground = true,
                    Name = $"MlNetDeep worker {id + 1}",
                };
                Workers.Add(thread);
                thread.Start();
            }
        }
    }

    private static void WorkerLoop(int id)
    {
        insideJob = true;
        int seen = (int)(Volatile.Read(ref ticket) >> 32);
        while (true)
        {
            int generation = WaitForNewGeneration(seen);
            seen = generation;
            if (id < Volatile.Read(ref jobWorkers))
            {
                RunItems(generation);
            }
        }
    }

    private static int WaitForNewGeneration(int seen)
    {
        while (true)
        {
            long deadline = Stopwatch.GetTimestamp() + (long)spinMicroseconds * Stopwatch.Frequency / 1_000_000;
            do
            {
                int generation = (int)(Volatile.Read(ref ticket) >> 32);
                if (generation != seen)
                {
                    return generation;
                }

                Thread.SpinWait(8);
            }
            while (Stopwatch.GetTimestamp() < deadline);

            Interlocked.Increment(ref sleepers);
            int now = (int)(Volatile.Read(ref ticket) >> 32);
            if (now != seen)
            {
                // Work arrived between the last check and registering as a sleeper. A dispatcher may
                // release the semaphore for us anyway; a later spurious wake-up only re-checks.
                return now;
            }

            Wake.Wait();
        }
    }
}
