using MlNetDeep.Kernels;

namespace MlNetDeep.Tests.Kernels;

[TestFixture]
[NonParallelizable]
public class BackgroundJobTests
{
    [TearDown]
    public void Restore() => WorkerPool.MaxDegreeOfParallelism = Environment.ProcessorCount;

    [Test]
    public void RunsOnAWorkerWhileItsCallerGoesOnAndPoolCallsMeanwhileRunOnTheirCaller()
    {
        WorkerPool.MaxDegreeOfParallelism = 2;
        using var gate = new ManualResetEventSlim();
        var job = new GatedJob(gate);
        Assert.That(WorkerPool.TryStartInBackground(job), Is.True);
        Assert.That(job.IsStarted, Is.True);

        // The job waits for the caller: had the start waited for the job, this would never return.
        var threads = new RecordingJob(4);
        WorkerPool.For(4, threads);
        Assert.That(threads.Threads, Is.All.EqualTo(Environment.CurrentManagedThreadId), "the pool is the background job's");
        Assert.That(WorkerPool.TryStartInBackground(new GatedJob(gate)), Is.False, "one background job at a time");
        Assert.That(WorkerPool.TryStartInBackground(job), Is.False, "a started job cannot be started again");

        gate.Set();
        job.Wait();
        Assert.That(job.Thread, Is.Not.EqualTo(Environment.CurrentManagedThreadId));
        Assert.That(job.IsStarted, Is.False);
        Assert.That(PoolUsesTwoThreads(), Is.True, "the pool is free again");
        Assert.That(WorkerPool.TryStartInBackground(job), Is.True, "a waited job can start again");
        job.Wait();
    }

    [Test]
    public void WaitRethrowsWhatTheJobThrewAndThePoolKeepsWorking()
    {
        WorkerPool.MaxDegreeOfParallelism = 2;
        var job = new ThrowingJob();
        Assert.That(WorkerPool.TryStartInBackground(job), Is.True);
        var e = Assert.Throws<InvalidOperationException>(job.Wait);
        Assert.That(e!.Message, Is.EqualTo("read failed"));
        Assert.DoesNotThrow(job.Wait, "thrown once");
        Assert.That(PoolUsesTwoThreads(), Is.True);
    }

    [Test]
    public void AJobNobodyWaitsForStillFreesThePool()
    {
        WorkerPool.MaxDegreeOfParallelism = 2;
        using var gate = new ManualResetEventSlim(initialState: true);
        var job = new GatedJob(gate);
        Assert.That(WorkerPool.TryStartInBackground(job), Is.True);
        SpinWait.SpinUntil(() => job.IsFinished, TimeSpan.FromSeconds(10));
        Assert.That(job.IsFinished, Is.True);
        Assert.That(PoolUsesTwoThreads(), Is.True, "released by the worker that ran the job, not by Wait");
    }

    [Test]
    public void IsRefusedWithOneThreadAndInsideAJob()
    {
        using var gate = new ManualResetEventSlim(initialState: true);
        WorkerPool.MaxDegreeOfParallelism = 1;
        Assert.That(WorkerPool.TryStartInBackground(new GatedJob(gate)), Is.False);

        WorkerPool.MaxDegreeOfParallelism = 2;
        var inside = new StartingJob(new GatedJob(gate));
        WorkerPool.For(2, inside);
        Assert.That(inside.Started, Is.All.False, "nested calls run serially, background ones not at all");
    }

    /// <summary>Whether a two-item call ran on two threads (tried a few times: a worker may be slow to wake).</summary>
    [Test]
    public void AloneRunsPoolCallsOnItsThreadUntilItsScopeEnds()
    {
        WorkerPool.MaxDegreeOfParallelism = 2;
        using (WorkerPool.Alone())
        {
            Assert.That(WorkerPool.IsInsideJob, Is.True);
            var inside = new RecordingJob(4);
            WorkerPool.For(4, inside);
            Assert.That(inside.Threads, Is.All.EqualTo(Environment.CurrentManagedThreadId));
        }

        Assert.That(WorkerPool.IsInsideJob, Is.False);
        Assert.That(PoolUsesTwoThreads(), Is.True, "the pool serves the thread again");

        // Inside a job, the scope's end leaves the thread inside it.
        var nested = new AloneInsideJob();
        WorkerPool.For(2, nested);
        Assert.That(nested.InsideAfterScope, Is.All.True);
    }

    [Test]
    public void PrewokenWorkersTakeTheNextJobAndSleepAgainWhenNoneComes()
    {
        WorkerPool.MaxDegreeOfParallelism = 2;
        var spin = WorkerPool.SpinMicroseconds;
        try
        {
            WorkerPool.SpinMicroseconds = 100;
            for (var round = 0; round < 20; round++)
            {
                Thread.Sleep(2); // longer than the spin: the worker sleeps
                WorkerPool.Prewake(1);
                if (round % 2 == 0)
                {
                    Thread.Sleep(2); // woken for nothing: it spins, then sleeps again
                }

                Assert.That(PoolUsesTwoThreads(), Is.True, $"round {round}: the worker takes the job");
            }
        }
        finally
        {
            WorkerPool.SpinMicroseconds = spin;
        }
    }

    private static bool PoolUsesTwoThreads()
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var job = new RecordingJob(2) { SpinIterations = 20_000 };
            WorkerPool.For(2, job);
            if (job.Threads.Distinct().Count() == 2)
            {
                return true;
            }
        }

        return false;
    }

    private sealed class GatedJob(ManualResetEventSlim gate) : BackgroundJob
    {
        public int Thread { get; private set; }

        protected override void Run()
        {
            Thread = Environment.CurrentManagedThreadId;
            gate.Wait(TimeSpan.FromSeconds(30));
        }
    }

    private sealed class ThrowingJob : BackgroundJob
    {
        protected override void Run() => throw new InvalidOperationException("read failed");
    }

    private sealed class RecordingJob(int count) : ParallelJob
    {
        public int[] Threads { get; } = new int[count];

        public int SpinIterations { get; init; }

        public override void Execute(int index)
        {
            System.Threading.Thread.SpinWait(SpinIterations);
            Threads[index] = Environment.CurrentManagedThreadId;
        }
    }

    private sealed class AloneInsideJob : ParallelJob
    {
        public bool[] InsideAfterScope { get; } = new bool[2];

        public override void Execute(int index)
        {
            using (WorkerPool.Alone())
            {
            }

            InsideAfterScope[index] = WorkerPool.IsInsideJob;
        }
    }

    private sealed class StartingJob(BackgroundJob job) : ParallelJob
    {
        public bool[] Started { get; } = new bool[2];

        public override void Execute(int index) => Started[index] = WorkerPool.TryStartInBackground(job);
    }
}
