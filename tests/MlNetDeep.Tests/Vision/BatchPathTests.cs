using System.Runtime.InteropServices;
using MlNetDeep.Kernels;
using MlNetDeep.Tensors;
using MlNetDeep.Vision;

namespace MlNetDeep.Tests.Vision;

/// <summary>The batch path the trainer calls each mini-batch: per-row contexts whatever the chunking, and no allocation in steady state.</summary>
[NonParallelizable]
public sealed class BatchPathTests
{
    private static readonly ImageShape Small = new(3, 40, 37);

    private static AugmentationPipeline Create(string name) => name switch
    {
        "crop+mirror+PCA fused" => new AugmentationPipeline(new RandomCrop(32, 29), new RandomMirror(0.5, 0.5), PcaColorShift.ImageNet(sigma: 1)),
        "crop+mirror+PCA step by step" =>
            new AugmentationPipeline(new RandomCrop(32, 29), new RandomMirror(0.5, 0.5), PcaColorShift.ImageNet(sigma: 1)) { Fuse = false },
        _ => new AugmentationPipeline(
            new RandomTranslation(3, 2), new RandomCrop(34, 33), new RandomRotation(10), new RandomScaling(0.9, 1.1), new GaussianBlur(1.5),
            new RandomMirror(), new Brightness(0.2f), PcaColorShift.ImageNet(), new ChannelNormalizer([0.5f, 0.4f, 0.3f], [0.2f, 0.25f, 0.3f])),
    };

    [Test]
    public void BatchEqualsPerRowApplyForAnyChunking(
        [Values("crop+mirror+PCA fused", "crop+mirror+PCA step by step", "every kind of step")] string name,
        [Values(1, 2, 3, 7)] int degree,
        [Values(true, false)] bool training)
    {
        var pipeline = Create(name);
        var source = Images(Small, 9, seed: 4);
        var output = pipeline.OutputShape(Small);
        var saved = WorkerPool.MaxDegreeOfParallelism;
        try
        {
            WorkerPool.MaxDegreeOfParallelism = degree;
            foreach (var count in new[] { 1, 5, 13 })
            {
                // Rows in any order, repeats allowed (a batch may hold a row twice when sampled with replacement).
                var random = new RandomSource((ulong)count);
                var rows = Enumerable.Range(0, count).Select(_ => random.NextInt(source.Rows)).ToArray();
                var batch = new Tensor(count, output.Channels, output.Height, output.Width);
                pipeline.Apply(source, rows, seed: 11, epoch: 3, training, batch);
                for (var i = 0; i < count; i++)
                {
                    var expected = pipeline.Apply(source.Row(rows[i]), Small, new AugmentationContext(11, 3, rows[i]), training);
                    AssertBitwiseEqual(batch.Row(i), expected, $"{name}, degree {degree}, batch {count}, item {i}");
                }
            }
        }
        finally
        {
            WorkerPool.MaxDegreeOfParallelism = saved;
        }
    }

    [TestCase(true)]
    [TestCase(false)]
    public void AlexNetRecipeBatchAllocatesNothingAfterWarmUp(bool fuse)
    {
        var input = new ImageShape(3, 256, 256);
        var pipeline = new AugmentationPipeline(RandomCrop.AlexNet(), new RandomMirror(), PcaColorShift.ImageNet()) { Fuse = fuse };
        var source = Images(input, 6, seed: 5);
        var batch = new Tensor(4, 3, 224, 224);
        int[] rows = [5, 0, 3, 1];
        var saved = WorkerPool.MaxDegreeOfParallelism;
        try
        {
            // One thread: worker threads count their allocations on their own threads, not on this one.
            WorkerPool.MaxDegreeOfParallelism = 1;
            var epoch = 1;
            pipeline.Apply(source, rows, seed: 1, epoch, training: true, batch);
            Assert.That(QuietestWindow(() => pipeline.Apply(source, rows, seed: 1, ++epoch, training: true, batch)), Is.Zero);
        }
        finally
        {
            WorkerPool.MaxDegreeOfParallelism = saved;
        }
    }

    [Test]
    public void EveryStepsBatchPathAllocatesNothingAfterWarmUp()
    {
        ImageAugmentation[] steps =
        [
            new RandomCrop(32, 29), new RandomMirror(0.5, 0.5), PcaColorShift.ImageNet(), new Brightness(0.1f), new RandomTranslation(4, 4),
            new RandomRotation(15), new RandomScaling(0.8, 1.2), new GaussianBlur(2), new GaussianBlur(60),
            new ChannelNormalizer([0.5f, 0.4f, 0.3f], [0.2f, 0.25f, 0.3f]),
            new AugmentationPipeline(new RandomTranslation(2, 2), new RandomMirror(), new GaussianBlur(1)),
        ];
        var source = Images(Small, 6, seed: 6);
        int[] rows = [2, 4, 0];
        var saved = WorkerPool.MaxDegreeOfParallelism;
        try
        {
            WorkerPool.MaxDegreeOfParallelism = 1;
            foreach (var step in steps)
            {
                var output = step.OutputShape(Small);
                var batch = new Tensor(rows.Length, output.Channels, output.Height, output.Width);
                var epoch = 1;
                step.Apply(source, rows, seed: 2, epoch, training: true, batch);
                step.Apply(source, rows, seed: 2, epoch, training: false, batch);
                var bytes = QuietestWindow(() =>
                {
                    step.Apply(source, rows, seed: 2, ++epoch, training: true, batch);
                    step.Apply(source, rows, seed: 2, epoch, training: false, batch);
                });
                Assert.That(bytes, Is.Zero, step.GetType().Name);
            }
        }
        finally
        {
            WorkerPool.MaxDegreeOfParallelism = saved;
        }
    }

    [Test]
    public void BothCoresTogetherAllocateNothingAfterWarmUp()
    {
        // Each row's work is measured on the thread that runs it (the pool's worker or this one); the dispatch on this
        // thread is measured around the whole call. GC.GetTotalAllocatedBytes would also count unrelated threads.
        var probe = new AllocationProbe(new AugmentationPipeline(new RandomCrop(32, 29), new RandomMirror(), PcaColorShift.ImageNet()));
        var source = Images(Small, 64, seed: 7);
        var rows = Enumerable.Range(0, 64).Reverse().ToArray();
        var batch = new Tensor(64, 3, 32, 29);
        var saved = WorkerPool.MaxDegreeOfParallelism;
        try
        {
            WorkerPool.MaxDegreeOfParallelism = 2;

            // Warm up until both threads have run rows: a thread's first row allocates its generator (and the runtime
            // its thread-static storage). On a busy machine one thread may take a whole batch, so count threads.
            probe.CallerThread = Environment.CurrentManagedThreadId;
            var epoch = 1;
            for (; epoch < 1000 && !(probe.CallerRan && probe.OtherRan); epoch++)
            {
                probe.Apply(source, rows, seed: 3, epoch, training: true, batch);
            }

            Assume.That(probe.CallerRan && probe.OtherRan, "the pool's worker never ran a row");
            var quietest = long.MaxValue;
            for (var window = 0; window < 3; window++)
            {
                probe.Bytes = 0;
                var before = GC.GetAllocatedBytesForCurrentThread();
                for (var i = 0; i < 10; i++)
                {
                    probe.Apply(source, rows, seed: 3, epoch++, training: true, batch);
                }

                quietest = Math.Min(quietest, GC.GetAllocatedBytesForCurrentThread() - before + Interlocked.Read(ref probe.Bytes));
            }

            Assert.That(quietest, Is.Zero, "bytes allocated by this thread and by the rows, on whichever thread ran them");
        }
        finally
        {
            WorkerPool.MaxDegreeOfParallelism = saved;
        }
    }

    /// <summary>
    /// The bytes this thread allocates in the quietest of three windows of <paramref name="calls"/> calls. An allocation
    /// per call shows in every window; a one-off of the runtime's does not count (with tiered compilation on, a hot
    /// method's recompilation now and then allocates a few KB, once, on the thread that runs it: seen here about once in
    /// ten runs, never with DOTNET_TieredCompilation=0).
    /// </summary>
    private static long QuietestWindow(Action call, int calls = 4)
    {
        var quietest = long.MaxValue;
        for (var window = 0; window < 3; window++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < calls; i++)
            {
                call();
            }

            quietest = Math.Min(quietest, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        return quietest;
    }

    internal static void AssertBitwiseEqual(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, string message)
    {
        Assert.That(actual.Length, Is.EqualTo(expected.Length), message);
        var a = MemoryMarshal.Cast<float, int>(actual);
        var e = MemoryMarshal.Cast<float, int>(expected);
        for (var i = 0; i < a.Length; i++)
        {
            if (a[i] != e[i])
            {
                Assert.Fail($"{message}: element {i} is {actual[i]:R}, expected {expected[i]:R}.");
            }
        }
    }

    private static Tensor Images(ImageShape shape, int count, ulong seed)
    {
        var images = new Tensor(count, shape.Channels, shape.Height, shape.Width);
        for (var r = 0; r < count; r++)
        {
            VisionTestData.RandomImage(shape, seed + (ulong)r).CopyTo(images.Row(r));
        }

        return images;
    }

    private sealed class AllocationProbe(ImageAugmentation inner) : ImageAugmentation
    {
        public long Bytes;
        public int CallerThread;
        public volatile bool CallerRan;
        public volatile bool OtherRan;

        public override ImageShape OutputShape(ImageShape input) => inner.OutputShape(input);

        public override void Apply(ReadOnlySpan<float> source, Span<float> destination, ImageShape input, AugmentationContext context, bool training)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            inner.Apply(source, destination, input, context, training);
            Interlocked.Add(ref Bytes, GC.GetAllocatedBytesForCurrentThread() - before);
            if (Environment.CurrentManagedThreadId == CallerThread)
            {
                CallerRan = true;
            }
            else
            {
                OtherRan = true;
            }
        }
    }
}
