using MlNetDeep.Layers;
using MlNetDeep.Layers.Activations;
using MlNetDeep.Losses;
using MlNetDeep.Optimizers;
using MlNetDeep.Tensors;
using MlNetDeep.Training;
using MlNetDeep.Vision;
using MlNetDeep.Vision.Detection;

namespace MlNetDeep.Tests.Vision.Detection;

/// <summary>Landmark detection: points move with their pixels (mirror partners swap), the masked squared error and its gradient, and learning the generated triangles.</summary>
public class LandmarkTests
{
    [Test]
    public void PointsMoveWithTheirPixelsAndMirrorPartnersSwap()
    {
        var kind = new PointTargets(LandmarkScenes.MirrorPartners);
        float[] points = [1, 14, 4, 1, 6, 20, 1, 26, 22];
        var moved = new float[9];

        // RandomMirror's horizontal map on a 32-wide image: x' = W − x in edges; the left corner becomes the right one.
        kind.Move(points, [3, 3], moved, new PixelMap(-1, 0, 31, 0, 1, 0, 32, 32, 32, 32));
        Assert.That(moved, Is.EqualTo(new float[] { 1, 18, 4, 1, 6, 22, 1, 26, 20 }));

        // A crop of 24 × 24 at (left 8, top 2): a point left of the crop is absent; an absent point stays absent.
        kind.Move([1, 14, 4, 1, 6, 20, 0, 0, 0], [3, 3], moved, PixelMap.Translation(-8, -2, 32, 32, 24, 24));
        Assert.That(moved, Is.EqualTo(new float[] { 1, 6, 2, 0, 0, 0, 0, 0, 0 }));
        Assert.That(kind.CheckShape([3, 3], 32, 32), Is.Null);
        Assert.That(kind.CheckShape([3, 2], 32, 32), Does.Contain("[k, 3] (visible, x, y)"));
        Assert.That(kind.CheckShape([2, 3], 32, 32), Does.Contain("3 mirror partners"));
        Assert.That(() => new PointTargets([1, 2, 0]), Throws.ArgumentException.With.Message.Contains("its own inverse"));
    }

    [Test]
    public void TheLossIsTheSquaredErrorOverVisiblePointsAndPassesGradientCheck()
    {
        var loss = new LandmarkLoss(20, 10);

        // Outputs in image fractions: (0.5, 0.5) against (4, 12) px = (0.4, 0.6): 0.01 + 0.01; the absent point adds nothing.
        var cost = loss.Compute(new Tensor([0.5f, 0.5f, 0.9f, 0.1f], 1, 4), new Tensor([1, 4, 12, 0, 0, 0], 1, 2, 3), null);
        Assert.That(cost, Is.EqualTo(0.02).Within(1e-6));
        Assert.That(loss.Validate(new Tensor([0.5f, 4, 1, 1, 1, 1], 1, 2, 3), 4), Does.Contain("point 0 of row 0 has visibility 0.5"));
        Assert.That(loss.Validate(new Tensor([1, 4, 1, 1, 1, 1], 1, 3, 2), 4), Does.Contain("[k, 3] targets"));

        var network = new Sequential(new Dense(5), new Tanh(), new Dense(6));
        network.Build([4], new RandomSource(3));
        var x = TestData.Random(4, 3, 4);
        var y = new Tensor([1, 3, 12, 0, 0, 0, 1, 7, 1, 1, 2, 2, 1, 9, 18, 1, 5, 5, 1, 1, 19, 1, 8, 3, 0, 0, 0], 3, 3, 3);
        var result = GradientCheck.Run(network, loss, x, y, epsilon: 1e-3);
        Assert.That(result.Passed, Is.True, result.ToString());
    }

    [TestFixture]
    public class Training
    {
        private double _error;
        private double _baseline;
        private double _absent;

        /// <summary>
        /// One fit: 1,200 generated 32 × 32 triangles, mirrored at random while training (the corners move and left/right
        /// swap), 12 epochs; mean point error in pixels on 300 held-out images against the error of always answering the
        /// mean point. Measured over seeds 1, 2, 3 (LM_SEEDS=1,2,3 in <see cref="Experiment"/>): 5.34 / 5.33 / 4.68 px against
        /// baselines of 8.24 / 8.30 / 7.72 px (ratios 0.65 / 0.64 / 0.61); 3,000 images give 3.73 px (seed 1).
        /// </summary>
        [OneTimeSetUp]
        public void TrainOnce()
        {
            (_error, _baseline, _absent) = TrainAndScore(seed: 1, trainImages: 1200, epochs: 12);
        }

        internal static (double Error, double Baseline, double Absent) TrainAndScore(ulong seed, int trainImages, int epochs, bool mirror = true, float rate = 3e-3f)
        {
            var (images, points) = LandmarkScenes.Generate(trainImages, seed);
            var (testImages, testPoints) = LandmarkScenes.Generate(300, seed + 1000);
            var network = new Sequential(
                new Conv2D(16, 3, padding: Padding.Same), new BatchNormalization(), new ReLU(), new MaxPool2D(2),
                new Conv2D(32, 3, padding: Padding.Same), new BatchNormalization(), new ReLU(), new MaxPool2D(2),
                new Conv2D(32, 3, padding: Padding.Same), new BatchNormalization(), new ReLU(), new MaxPool2D(2),
                new Flatten(), new Dense(64), new ReLU(), new Dense(2 * LandmarkScenes.PointCount));
            Trainer.Fit(network, images, points, new TrainingOptions
            {
                Loss = new LandmarkLoss(32, 32, new PointTargets(LandmarkScenes.MirrorPartners)),
                Optimizer = new Adam(rate),
                Schedule = new MlNetDeep.Schedules.CosineAnnealing(),
                Augmentation = mirror ? new AugmentationPipeline(new RandomMirror(0.5)) : null,
                Epochs = epochs,
                BatchSize = 32,
                Seed = seed,
            });

            var outputs = Inference.Predict(network, testImages);
            var mean = new double[2 * LandmarkScenes.PointCount];
            var counts = new int[mean.Length];
            for (var r = 0; r < points.Rows; r++)
            {
                for (var k = 0; k < LandmarkScenes.PointCount; k++)
                {
                    var p = points.Row(r).Slice(3 * k, 3);
                    if (p[0] == 1)
                    {
                        (mean[2 * k], mean[(2 * k) + 1]) = (mean[2 * k] + p[1], mean[(2 * k) + 1] + p[2]);
                        (counts[2 * k], counts[(2 * k) + 1]) = (counts[2 * k] + 1, counts[(2 * k) + 1] + 1);
                    }
                }
            }

            for (var j = 0; j < mean.Length; j++)
            {
                mean[j] /= counts[j];
            }

            double error = 0, baseline = 0;
            var (visible, absent) = (0, 0);
            for (var r = 0; r < testImages.Rows; r++)
            {
                for (var k = 0; k < LandmarkScenes.PointCount; k++)
                {
                    var (v, x, y) = (testPoints.Row(r)[3 * k], testPoints.Row(r)[(3 * k) + 1], testPoints.Row(r)[(3 * k) + 2]);
                    if (v == 0)
                    {
                        absent++;
                        continue;
                    }

                    visible++;
                    error += Math.Sqrt(Math.Pow((outputs.Row(r)[2 * k] * 32) - x, 2) + Math.Pow((outputs.Row(r)[(2 * k) + 1] * 32) - y, 2));
                    baseline += Math.Sqrt(Math.Pow(mean[2 * k] - x, 2) + Math.Pow(mean[(2 * k) + 1] - y, 2));
                }
            }

            var result = (error / visible, baseline / visible, (double)absent / (absent + visible));
            var trainOutputs = Inference.Predict(network, images);
            double trainError = 0;
            var trainVisible = 0;
            for (var r = 0; r < Math.Min(300, images.Rows); r++)
            {
                for (var k = 0; k < LandmarkScenes.PointCount; k++)
                {
                    var p = points.Row(r).Slice(3 * k, 3);
                    if (p[0] == 1)
                    {
                        trainVisible++;
                        trainError += Math.Sqrt(Math.Pow((trainOutputs.Row(r)[2 * k] * 32) - p[1], 2) + Math.Pow((trainOutputs.Row(r)[(2 * k) + 1] * 32) - p[2], 2));
                    }
                }
            }

            TestContext.Progress.WriteLine($"training images' mean point error {trainError / trainVisible:F3} px");
            TestContext.Progress.WriteLine($"landmarks seed {seed} n {trainImages} epochs {epochs} mirror {mirror} rate {rate}: mean point error {result.Item1:F3} px, mean-point baseline {result.Item2:F3} px, absent {result.Item3:P1}");
            return result;
        }

        [Test]
        public void ANetworkLearnsTheLandmarksWithMirroredImages()
        {
            Assert.That(_absent, Is.GreaterThan(0.01), "some held-out points are absent (the visibility mask is exercised)");
            Assert.That(_error, Is.LessThan(0.75 * _baseline), "the learned points beat always answering the mean point");
            Assert.That(_error, Is.LessThan(6.0), "mean point error in pixels on held-out 32 × 32 images");
        }

        /// <summary>Runs for measuring (LM_N, LM_E, LM_SEEDS); not part of the suite.</summary>
        [Test, Explicit]
        public void Experiment()
        {
            var n = int.Parse(Environment.GetEnvironmentVariable("LM_N") ?? "1200");
            var e = int.Parse(Environment.GetEnvironmentVariable("LM_E") ?? "12");
            foreach (var seed in (Environment.GetEnvironmentVariable("LM_SEEDS") ?? "1").Split(',').Select(ulong.Parse))
            {
                TrainAndScore(seed, n, e, Environment.GetEnvironmentVariable("LM_MIRROR") != "0", float.Parse(Environment.GetEnvironmentVariable("LM_RATE") ?? "3e-3", System.Globalization.CultureInfo.InvariantCulture));
            }
        }
    }
}
