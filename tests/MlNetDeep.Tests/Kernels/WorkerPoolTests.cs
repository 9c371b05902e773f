using MlNetDeep.Kernels;

namespace MlNetDeep.Tests.Kernels;

[TestFixture]
[NonParallelizable]
public unsafe class WorkerPoolTests
{
    [TearDown]
    public void Restore() => WorkerPool.MaxDegreeOfParallelism = Environment.ProcessorCount;

    private struct CountState
    {
        public int* Counts;
        public int SpinIterations;
    }

    private static void Count(CountState* state, int index)
    {
        if (state->SpinIterations > 0)
        {
            Thread.SpinWait(state->SpinIterations);
        }

        Interlocked.Increment(ref state->Counts[index]);
    }

    [Test]
    public void EveryIndexRunsExactlyOnce([Values(1, 2, 3, 7, 64, 1000)] int count, [Values(1, 2, 4)] int degree)
    {
        WorkerPool.MaxDegreeOfParallelism = degree;
        var counts = new int[count];
        for (int round = 0; round < 200; round++)
        {
            Array.Clear(counts);
            fixed (int* p = counts)
            {
                var state = new CountState { Counts = p, SpinIterations = round % 3 == 0 ? 50 : 0 };
                WorkerPool.For(count, &state, &Count);
            }

            Assert.That(counts, Is.All.EqualTo(1), $"round {round}");
        }
    }

    [Test]
    public void ZeroOrNegativeCountDoesNothing()
    {
        var counts = new int[1];
        fixed (int* p = counts)
        {
            var state = new CountState { Counts = p };
            WorkerPool.For(0, &state, &Count);
            WorkerPool.For(-3, &state, &Count);
        }

        Assert.That(counts[0], Is.Zero);
    }

    private sealed class SumJob : ParallelJob
    {
        public long[] Partial = [];

        public override void Execute(int index)
        {
            long sum = 0;
            for (int i = 0; i < 1000; i++)
            {
                sum += (index * 1000L) + i;
            }

            Partial[index] = sum;
        }
    }

    [Test]
    public void JobObjectGivesCorrectResultsUnderRepeatedCalls()
    {
        var job = new SumJob { Partial = new long[37] };
        long expected = 37000L * (37000 - 1) / 2;
        for (int round = 0; round < 2000; round++)
        {
            Array.Clear(job.Partial);
            WorkerPool.For(job.Partial.Length, job);
            Assert.That(job.Partial.Sum(), Is.EqualTo(expected));
        }
    }

    private sealed class ThrowingJob : ParallelJob
    {
        public int Executed;

        public override void Execute(int index)
        {
            Interlocked.Increment(ref Executed);
            if (index == 3)
            {
                throw new InvalidOperationException("boom " + index);
            }
        }
    }

    [Test]
    public void ExceptionsPropagateAndThePoolKeepsWorking()
    {
        var job = new ThrowingJob();
        var e = Assert.Throws<InvalidOperationException>(() => WorkerPool.For(8, job));
        Assert.That(e!.Message, Is.EqualTo("boom 3"));

        var sum = new SumJob { Partial = new long[4] };
        WorkerPool.For(4, sum);
        Assert.That(sum.Partial[3], Is.EqualTo((3000L * 1000) + (999L * 1000 / 2)));
    }

    private struct NestedState
    {
        public int* Counts;
        public int Inner;
    }

    private static void Outer(NestedState* state, int index)
    {
        var inner = new CountState { Counts = state->Counts + (index * state->Inner) };
        Assert.That(WorkerPool.IsInsideJob, Is.True);
        WorkerPool.For(state->Inner, &inner, &Count);
    }

    [Test]
    public void NestedCallsRunAndComplete()
    {
        const int outer = 6, inner = 5;
        var counts = new int[outer * inner];
        fixed (int* p = counts)
        {
            var state = new NestedState { Counts = p, Inner = inner };
            WorkerPool.For(outer, &state, &Outer);
        }

        Assert.That(counts, Is.All.EqualTo(1));
        Assert.That(WorkerPool.IsInsideJob, Is.False);
    }

    [Test]
    public void ConcurrentCallersAllComplete()
    {
        var failures = 0;
        var threads = Enumerable.Range(0, 4).Select(_ => new Thread(() =>
        {
            var job = new SumJob { Partial = new long[16] };
            long expected = 16000L * (16000 - 1) / 2;
            for (int i = 0; i < 500; i++)
            {
                WorkerPool.For(16, job);
                if (job.Partial.Sum() != expected)
                {
                    Interlocked.Increment(ref failures);
                }
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.That(failures, Is.Zero);
    }

    [Test]
    public void ResumesAfterWorkersFallAsleep()
    {
        var job = new SumJob { Partial = new long[8] };
        long expected = 8000L * (8000 - 1) / 2;
        for (int i = 0; i < 3; i++)
        {
            Thread.Sleep(5); // longer than the spin phase, so the workers block
            Array.Clear(job.Partial);
            WorkerPool.For(8, job);
            Assert.That(job.Partial.Sum(), Is.EqualTo(expected));
        }
    }

    [Test]
    public void SteadyStateCallsDoNotAllocate()
    {
        var counts = new int[16];
        fixed (int* p = counts)
        {
            var state = new CountState { Counts = p };
            WorkerPool.For(16, &state, &Count);
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 1000; i++)
            {
                WorkerPool.For(16, &state, &Count);
            }

            Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
        }

        Assert.That(counts, Is.All.EqualTo(1001));
    }

    [Test]
    public void EachThreadRunsItsOwnRangeFromTheFrontAndTakesTheOthersFromTheBack()
    {
        // Item 0 (the caller's) waits until the worker has started its first item, which then waits until the caller
        // has run every other item: the caller's own range is 0-3 and it takes the worker's remaining items from the back.
        WorkerPool.MaxDegreeOfParallelism = 2;
        var job = new AffinityJob(Environment.CurrentManagedThreadId);

        WorkerPool.For(8, job);

        Assert.That(job.Caller, Is.EqualTo(new[] { 0, 1, 2, 3, 7, 6, 5 }), "the caller's items, in order");
        Assert.That(job.Worker, Is.EqualTo(new[] { 4 }), "the worker starts at the front of its own range, items 4-7");
    }

    private sealed class AffinityJob(int callerThread) : ParallelJob
    {
        private readonly ManualResetEventSlim _workerStarted = new();
        private readonly ManualResetEventSlim _callerDone = new();

        public List<int> Caller { get; } = [];

        public List<int> Worker { get; } = [];

        public override void Execute(int index)
        {
            if (Environment.CurrentManagedThreadId == callerThread)
            {
                if (index == 0)
                {
                    _workerStarted.Wait(TimeSpan.FromSeconds(20));
                }

                Caller.Add(index);
                if (Caller.Count == 7)
                {
                    _callerDone.Set();
                }

                return;
            }

            lock (Worker)
            {
                Worker.Add(index);
            }

            _workerStarted.Set();
            _callerDone.Wait(TimeSpan.FromSeconds(20));
        }
    }
}
