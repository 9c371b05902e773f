using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.ExceptionServices;

namespace MlNetDeep.Kernels;

/// <summary>
/// A low-overhead parallel-for over persistent worker threads, for kernels that run thousands of times
/// per second on a few microseconds of work each.
/// </summary>
/// <remarks>
/// <para>
/// There is one worker thread per extra degree of parallelism (<see cref="MaxDegreeOfParallelism"/> − 1);
/// the calling thread takes items too. The items are cut into one contiguous range per participant (the caller first,
/// then worker 1, 2, ...), each participant runs its own range from the front, and one that has finished takes the
/// others' remaining items from the back. So a core runs the same items call after call — the same samples, layer after
/// layer, whose activations are in its cache (what costs most when the two cores sit on different dies) — while a
/// core slowed by other work still gets its items taken over. Idle workers spin for <see cref="SpinMicroseconds"/>
/// before they block, so back-to-back calls wake them in well under a microsecond.
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
    private static readonly List<Thread> Workers = [];

    private static int maxDegree = Math.Max(1, Environment.ProcessorCount);
    private static int spinMicroseconds = 200;

    // The current job. Written by the dispatching thread before it publishes a new generation in `ticket`.
    private static delegate*<void*, int, void> jobFunction;
    private static void* jobState;
    private static ParallelJob? jobObject;
    private static int jobWorkers;
    private static int jobFaulted;
    private static ExceptionDispatchInfo? jobError;

    // Set while the current job is a background job: the worker that finishes it releases the pool (nobody else waits).
    private static BackgroundJob? backgroundJob;

    // High 32 bits: the generation of the current job (a worker waits for it to change).
    private static long ticket;

    // Per participant, its unclaimed items [next, end) as one word: low 32 bits next, high 32 bits end.
    private static Range[] ranges = new Range[2];
    private static int done;
    private static int busy;

    // Per worker: its own wake-up signal and whether it is (about to be) blocked on it. A worker is woken only by a job it
    // takes part in, so a signal cannot be taken by a worker the job does not need while the one it needs sleeps on.
    private static Sleeper[] sleepers = [];

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
    /// Until the returned scope is disposed, the calling thread plans and runs its pool calls as one thread, as inside a
    /// job: for a caller that has split its work with a background job and computes its own part meanwhile. Without it,
    /// the kernels would cut that part for every core and then run the pieces one after another (the pool is busy), which
    /// costs more than one thread's plan.
    /// </summary>
    internal static AloneScope Alone()
    {
        var scope = new AloneScope(insideJob);
        insideJob = true;
        return scope;
    }

    /// <summary>
    /// Where part <paramref name="part"/> of <paramref name="parts"/> even, contiguous parts of <paramref name="length"/>
    /// values starts, rounded down to a multiple of 16 values (a 64-byte line), so that no two parts write one line;
    /// <paramref name="length"/> for <paramref name="part"/> = <paramref name="parts"/>.
    /// </summary>
    internal static int PartStart(int part, int parts, int length) =>
        part >= parts ? length : (int)((long)length * part / parts) & ~15;

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
            int participants = workers + 1;
            int generation = Publish(count, function, state, job, workers, participants);
            insideJob = true;
            try
            {
                RunItems(generation, 0, participants);
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

    /// <summary>
    /// Hands <paramref name="job"/> to a worker thread and returns at once; the job releases the pool when it finishes.
    /// False (and nothing started) when the pool has no worker (<see cref="MaxDegreeOfParallelism"/> 1), when called
    /// from inside a job, when another call holds the pool, or when the job is already started and not yet waited for.
    /// While it runs, every other pool call, the caller's included, runs serially on its own thread.
    /// </summary>
    /// <param name="job">The work.</param>
    internal static bool TryStartInBackground(BackgroundJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (maxDegree <= 1 || insideJob || job.IsStarted || Interlocked.CompareExchange(ref busy, 1, 0) != 0)
        {
            return false;
        }

        if (!job.TryMarkRunning())
        {
            Volatile.Write(ref busy, 0);
            return false;
        }

        try
        {
            EnsureWorkers(1);
        }
        catch
        {
            job.MarkIdle();
            Volatile.Write(ref busy, 0);
            throw;
        }

        // The caller takes no items (its range stays empty): worker 1 runs the one item, and finishing it ends the job.
        backgroundJob = job;
        Publish(1, null, null, job, workers: 1, takers: 1);
        return true;
    }

    /// <summary>
    /// Publishes a job of <paramref name="count"/> items to the caller and <paramref name="workers"/> workers, whose
    /// items are cut into <paramref name="takers"/> even ranges, the last participants' (the caller takes none when
    /// <paramref name="takers"/> is <paramref name="workers"/>), then wakes the workers. Returns the job's generation.
    /// </summary>
    private static int Publish(int count, delegate*<void*, int, void> function, void* state, ParallelJob? job, int workers, int takers)
    {
        jobFunction = function;
        jobState = state;
        jobObject = job;
        jobWorkers = workers;
        jobFaulted = 0;
        jobError = null;
        done = 0;

        // The job's fields are written before its ranges open: a worker that claims an item (even one still
        // running the previous call's loop) finds this job. Every earlier range is exhausted, as its call finished.
        var open = ranges;
        int idle = workers + 1 - takers;
        for (int p = 0; p <= workers; p++)
        {
            int t = p - idle;
            long first = t < 0 ? 0 : (long)count * t / takers;
            long end = t < 0 ? 0 : (long)count * (t + 1) / takers;
            Interlocked.Exchange(ref open[p].Word, (end << 32) | first);
        }

        long next = Volatile.Read(ref ticket) + (1L << 32);
        Interlocked.Exchange(ref ticket, next);
        Prewake(workers);

        return (int)(next >> 32);
    }

    /// <summary>
    /// Wakes the first <paramref name="count"/> workers if they sleep, so that they spin (<see cref="SpinMicroseconds"/>)
    /// ready for a job about to come: for a caller that knows it will hand work over soon, after some serial work of its
    /// own. Waking a sleeping thread takes tens to hundreds of microseconds on some machines; a spinning one takes a job
    /// at once. Nothing else changes: a worker woken for nothing goes back to sleep after its spin.
    /// </summary>
    internal static void Prewake(int count)
    {
        var asleep = sleepers;
        for (int w = 0; w < Math.Min(count, asleep.Length); w++)
        {
            if (Interlocked.Exchange(ref asleep[w].Sleeping, 0) == 1)
            {
                asleep[w].Wake.Release();
            }
        }
    }

    /// <summary>
    /// Ends a background job once its item has run: releases the pool, then records the job's outcome, so that a caller
    /// who sees it finished finds the pool free (the job itself cannot be restarted before its outcome is recorded).
    /// </summary>
    private static void FinishBackground(BackgroundJob job)
    {
        ExceptionDispatchInfo? error = jobError;
        jobError = null;
        jobObject = null;
        backgroundJob = null;
        Volatile.Write(ref busy, 0);
        job.MarkFinished(error);
    }

    /// <summary>Restores the thread's state when an <see cref="Alone"/> scope ends.</summary>
    internal readonly struct AloneScope(bool wasInside) : IDisposable
    {
        /// <summary>Ends the scope.</summary>
        public void Dispose() => insideJob = wasInside;
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

    /// <summary>
    /// Runs participant <paramref name="participant"/>'s own range from the front, then takes the other participants'
    /// remaining items from the back, until the job has none left or a newer one has started.
    /// </summary>
    private static void RunItems(int generation, int participant, int participants)
    {
        var open = ranges;
        int ran = 0;
        for (int k = 0; k < participants; k++)
        {
            ref long word = ref open[(participant + k) % participants].Word;
            while ((int)(Volatile.Read(ref ticket) >> 32) == generation && TryClaim(ref word, fromFront: k == 0, out int index))
            {
                Run(index);
                ran++;
            }
        }

        // Counted once, after the items ran: one transfer of the shared counter's cache line per participant and call
        // rather than per item. A job's ranges reopen only once it is done, so these items are all of one job.
        if (ran > 0 && Interlocked.Add(ref done, ran) == 1 && participant > 0 && backgroundJob is { } background && ReferenceEquals(jobObject, background))
        {
            FinishBackground(background);
        }
    }

    /// <summary>
    /// Claims the first (or last) unclaimed item of a range. The range's next and end change together in one
    /// compare-and-swap, so an item is claimed once however owner and thieves race, and a range that was reopened for a
    /// newer job hands out that job's items, which is what the claimer then runs.
    /// </summary>
    private static bool TryClaim(ref long word, bool fromFront, out int index)
    {
        while (true)
        {
            long current = Volatile.Read(ref word);
            int next = (int)current;
            int end = (int)(current >> 32);
            if (next >= end)
            {
                index = -1;
                return false;
            }

            long claimed = fromFront ? current + 1 : current - (1L << 32);
            if (Interlocked.CompareExchange(ref word, claimed, current) == current)
            {
                index = fromFront ? next : end - 1;
                return true;
            }
        }
    }

    /// <summary>Runs a claimed item of the current job (the caller counts it as done).</summary>
    private static void Run(int index)
    {
        // The claim succeeded, so the job that owns the item cannot finish (and its fields cannot change) before this
        // item is counted as done.
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
    }

    private static void EnsureWorkers(int wanted)
    {
        if (Workers.Count >= wanted)
        {
            return;
        }

        lock (CreationGate)
        {
            if (ranges.Length < wanted + 1)
            {
                // Only the dispatching thread (holding `busy`) gets here; a worker still holding the old array finds
                // its ranges exhausted.
                ranges = new Range[wanted + 1];
            }

            if (sleepers.Length < wanted)
            {
                // Workers keep the array they started with, whose entries are the same objects.
                var grown = new Sleeper[wanted];
                for (int w = 0; w < grown.Length; w++)
                {
                    grown[w] = w < sleepers.Length ? sleepers[w] : new Sleeper();
                }

                sleepers = grown;
            }

            // A new worker waits for a generation after the current one: the job about to be published (which a
            // background job's caller does not run itself) must not be taken as seen because the thread started late.
            int seen = (int)(Volatile.Read(ref ticket) >> 32);
            while (Workers.Count < wanted)
            {
                int id = Workers.Count;
                var thread = new Thread(() => WorkerLoop(id, seen))
                {
                    IsBackground = true,
                    Name = $"MlNetDeep worker {id + 1}",
                };
                Workers.Add(thread);
                thread.Start();
            }
        }
    }

    private static void WorkerLoop(int id, int seen)
    {
        insideJob = true;
        while (true)
        {
            int generation = WaitForNewGeneration(seen, sleepers[id]);
            seen = generation;
            int workers = Volatile.Read(ref jobWorkers);
            if (id < workers)
            {
                RunItems(generation, id + 1, workers + 1);
            }
        }
    }

    private static int WaitForNewGeneration(int seen, Sleeper self)
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

            Interlocked.Exchange(ref self.Sleeping, 1);
            int now = (int)(Volatile.Read(ref ticket) >> 32);
            if (now != seen)
            {
                // Work arrived between the last check and announcing the sleep. If a dispatcher has already taken the
                // flag it has released the signal too, which makes a later wait return at once; it only re-checks.
                Interlocked.Exchange(ref self.Sleeping, 0);
                return now;
            }

            self.Wake.Wait();
        }
    }

    /// <summary>A worker's wake-up signal and its sleeping flag (1 while it is, or is about to be, blocked on the signal).</summary>
    private sealed class Sleeper
    {
        public readonly SemaphoreSlim Wake = new(0, int.MaxValue);
        public int Sleeping;
    }

    /// <summary>One participant's range of items, alone on its cache lines so that claims on two ranges do not collide.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 128)]
    private struct Range
    {
        [FieldOffset(64)]
        public long Word;
    }
}
