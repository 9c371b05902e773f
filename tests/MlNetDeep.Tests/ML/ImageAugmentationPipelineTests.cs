using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Data;
using MlNetDeep.Layers;
using MlNetDeep.Layers.Activations;
using MlNetDeep.ML;
using MlNetDeep.Serialization;
using MlNetDeep.Tensors;
using MlNetDeep.Vision;

namespace MlNetDeep.Tests.ML;

/// <summary>
/// MlNetDeep's image steps in ML.NET pipelines: scoring is deterministic (identity, centre crop, fitted normalisation),
/// training through an MlNetDeep trainer sees fresh, reproducible draws every epoch, and it all survives save/load.
/// </summary>
public class ImageAugmentationPipelineTests
{
    private const int Rows = 48;

    private static ClassificationData Images(int rows = Rows, int seed = 3)
    {
        var random = new RandomSource((ulong)seed);
        var x = new Tensor(rows, 3, 8, 8);
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = random.NextFloat();
        }

        return new ClassificationData(x, [.. Enumerable.Range(0, rows).Select(i => i % 2)], ["even", "odd"]);
    }

    private static EstimatorChain<ImageAugmentationTransformer> Steps(MLContext ml) =>
        ml.Transforms.RandomCrop("Features", 6, 6)
            .Append(ml.Transforms.RandomMirror())
            .Append(ml.Transforms.PcaColorShift(sigma: 0.5))
            .Append(ml.Transforms.NormalizeChannels());

    private static float[][] Column(IDataView data, string name)
    {
        var column = data.Schema[name];
        using var cursor = data.GetRowCursor([column]);
        var getter = cursor.GetGetter<VBuffer<float>>(column);
        var result = new List<float[]>();
        VBuffer<float> buffer = default;
        while (cursor.MoveNext())
        {
            getter(ref buffer);
            result.Add(buffer.DenseValues().ToArray());
        }

        return [.. result];
    }

    [Test]
    public void ScoringIsTheCentreCropAndFittedNormalisationAndIsDeterministic()
    {
        var ml = new MLContext(seed: 1);
        var data = Images();
        var view = data.ToDataView(ml);
        var model = Steps(ml).Fit(view);
        var scored = model.Transform(view);

        var type = (VectorDataViewType)scored.Schema["Features"].Type;
        Assert.That(type.Dimensions.ToArray(), Is.EqualTo(new[] { 3, 6, 6 }));

        var normalizer = (ChannelNormalizer)model.LastTransformer.Augmentation;
        var crop = new RandomCrop(6, 6);
        var first = Column(scored, "Features");
        var second = Column(scored, "Features");
        Assert.That(second, Is.EqualTo(first), "two reads of the scored view differ");
        var shape = new ImageShape(3, 8, 8);
        for (var r = 0; r < Rows; r++)
        {
            var centre = crop.Apply(data.Features.Row(r), shape, default, training: false);
            var expected = normalizer.Apply(centre, new ImageShape(3, 6, 6), default, training: false);
            Assert.That(first[r], Is.EqualTo(expected), $"row {r}");
        }

        // The normaliser was fitted on the centre crops (the scoring form of the steps before it): μ and σ per channel.
        var crops = new Tensor(Rows, 3, 6, 6);
        for (var r = 0; r < Rows; r++)
        {
            crop.Apply(data.Features.Row(r), crops.Row(r), shape, default, training: false);
        }

        var fitted = ChannelNormalizer.Fit(crops);
        Assert.That(normalizer.Mean, Is.EqualTo(fitted.Mean));
        Assert.That(normalizer.StandardDeviation, Is.EqualTo(fitted.StandardDeviation));
    }

    [Test]
    public void PredictionEngineSeesTheScoringForm()
    {
        var ml = new MLContext(seed: 1);
        var data = Images();
        var view = data.ToDataView(ml);
        var model = Steps(ml).Fit(view);
        var expected = Column(model.Transform(view), "Features");
        var engine = ml.Model.CreatePredictionEngine<ImageRow, ScoredImage>(model, view.Schema);
        for (var r = 0; r < 5; r++)
        {
            var output = engine.Predict(new ImageRow { Features = data.Features.Row(r).ToArray(), Label = "even" });
            Assert.That(output.Features, Is.EqualTo(expected[r]), $"row {r}");
        }
    }

    [Test]
    public void AlwaysRandomDrawsReproduciblyPerRowAndSeed()
    {
        var ml = new MLContext(seed: 1);
        var view = Images().ToDataView(ml);
        IDataView Mirror(int seed) => ml.Transforms.RandomMirror(new RandomMirrorOptions { AlwaysRandom = true, Seed = seed }).Fit(view).Transform(view);
        var original = Column(view, "Features");
        var a = Column(Mirror(5), "Features");
        var b = Column(Mirror(5), "Features");
        var c = Column(Mirror(6), "Features");
        Assert.That(b, Is.EqualTo(a));
        var flipped = Enumerable.Range(0, Rows).Count(r => !a[r].SequenceEqual(original[r]));
        Assert.That(flipped, Is.InRange(10, 38), "about half the rows should be flipped");
        Assert.That(Enumerable.Range(0, Rows).Any(r => !a[r].SequenceEqual(c[r])), Is.True, "another seed should draw differently");
    }

    [Test]
    public void TrainingSeesFreshDrawsEachEpochAndTheSameAgainWithTheSameSeed()
    {
        var first = TrainAndRecord(seed: 7);
        var again = TrainAndRecord(seed: 7);
        var other = TrainAndRecord(seed: 8);

        Assert.That(first.Count, Is.EqualTo(3));
        Assert.That(again, Is.EqualTo(first), "the same seed must give the same augmented batches");
        Assert.That(first[1], Is.Not.EqualTo(first[0]), "epoch 2 must see other draws than epoch 1");
        Assert.That(first[2], Is.Not.EqualTo(first[1]));
        Assert.That(other[0], Is.Not.EqualTo(first[0]), "another seed must draw differently");

        // Every epoch sees each image once, as one of its crops (6×6 out of 8×8), never the centre crop alone.
        foreach (var epoch in first)
        {
            Assert.That(epoch.Count, Is.EqualTo(Rows));
        }
    }

    /// <summary>Trains through a pipeline of image steps and returns, per epoch, the multiset of training inputs the network saw (as checksums).</summary>
    private static List<List<double>> TrainAndRecord(int seed)
    {
        var ml = new MLContext(seed: 1);
        var view = Images().ToDataView(ml);
        var recorder = new InputRecorder();
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(Steps(ml))
            .Append(ml.MulticlassClassification.Trainers.NeuralNetwork(new NeuralNetworkMulticlassTrainer.Options
            {
                Network = (_, outputs) => new Sequential(recorder, new Flatten(), new Dense(outputs)),
                NumberOfEpochs = 3,
                BatchSize = 16,
                Seed = seed,
            }));
        pipeline.Fit(view);
        return [.. recorder.Epochs.Select(e => e.Order().ToList())];
    }

    [Test]
    public void TheTrainerFindsTheStepsThroughTransformsThatOnlyAddColumns()
    {
        var ml = new MLContext(seed: 1);
        var view = Images().ToDataView(ml);
        var recorder = new InputRecorder();
        var pipeline = ml.Transforms.RandomCrop("Features", 6, 6)
            .Append(ml.Transforms.Conversion.MapValueToKey("Label"))
            .AppendCacheCheckpoint(ml)
            .Append(ml.MulticlassClassification.Trainers.NeuralNetwork(new NeuralNetworkMulticlassTrainer.Options
            {
                Network = (_, outputs) => new Sequential(recorder, new Flatten(), new Dense(outputs)),
                NumberOfEpochs = 2,
                BatchSize = 16,
                Seed = 1,
            }));
        pipeline.Fit(view);
        Assert.That(recorder.Epochs[1].Order(), Is.Not.EqualTo(recorder.Epochs[0].Order()), "random crops should differ between epochs");
    }

    [Test]
    public void ATransformRewritingTheFeaturesAfterTheStepsIsReportedInTheLog()
    {
        var ml = new MLContext(seed: 1);
        var messages = new List<string>();
        ml.Log += (_, e) =>
        {
            lock (messages)
            {
                messages.Add(e.Message);
            }
        };
        var view = Images().ToDataView(ml);
        var pipeline = ml.Transforms.RandomMirror()
            .Append(ml.Transforms.NormalizeMinMax("Features"))
            .Append(ml.Transforms.Conversion.MapValueToKey("Label"))
            .Append(ml.MulticlassClassification.Trainers.NeuralNetwork(new NeuralNetworkMulticlassTrainer.Options
            {
                HiddenLayers = [],
                NumberOfEpochs = 1,
                Seed = 1,
            }));
        pipeline.Fit(view);
        Assert.That(messages, Has.Some.Contains("training sees no augmentation"));
    }

    [Test]
    public void ARawValidationSetGoesThroughTheStepsInScoringForm()
    {
        var ml = new MLContext(seed: 1);
        var data = Images();
        var view = data.ToDataView(ml);
        var labels = ml.Transforms.Conversion.MapValueToKey("Label").Fit(view);
        var keyed = labels.Transform(view);
        var history = new List<MlNetDeep.Training.EpochResult>();
        var steps = ml.Transforms.RandomCrop("Features", 6, 6).Append(ml.Transforms.NormalizeChannels());
        var trainer = ml.MulticlassClassification.Trainers.NeuralNetwork(new NeuralNetworkMulticlassTrainer.Options
        {
            HiddenLayers = [],
            NumberOfEpochs = 1,
            Seed = 1,
            ValidationSet = keyed,
            ProgressCallback = history.Add,
        });
        var model = steps.Append(trainer).Fit(keyed);

        // The same validation data already transformed by the fitted steps gives the same validation loss.
        var transformed = new List<MlNetDeep.Training.EpochResult>();
        var stepsModel = steps.Fit(keyed);
        ml.MulticlassClassification.Trainers.NeuralNetwork(new NeuralNetworkMulticlassTrainer.Options
        {
            HiddenLayers = [],
            NumberOfEpochs = 1,
            Seed = 1,
            ValidationSet = stepsModel.Transform(keyed),
            ProgressCallback = transformed.Add,
        }).Fit(stepsModel.Transform(keyed));
        Assert.That(history[0].ValidationLoss, Is.Not.Null);
        Assert.That(transformed[0].ValidationLoss, Is.EqualTo(history[0].ValidationLoss));
        Assert.That(model.LastTransformer.FeatureShape, Is.EqualTo(new[] { 3, 6, 6 }));
    }

    [Test]
    public void APipelineWithStepsAndANetworkSavesAndLoadsWithIdenticalScores()
    {
        var ml = new MLContext(seed: 1);
        var view = Images().ToDataView(ml);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.RandomCrop("Features", 6, 6))
            .Append(ml.Transforms.RandomMirror())
            .Append(ml.Transforms.PcaColorShift())
            .Append(ml.Transforms.RandomRotation("Features", 10))
            .Append(ml.Transforms.RandomScaling("Features", 0.9, 1.1))
            .Append(ml.Transforms.RandomBrightness("Features", 0.1f))
            .Append(ml.Transforms.RandomBlur("Features", 1.0))
            .Append(ml.Transforms.RandomTranslation("Features", 1, 1))
            .Append(ml.Transforms.NormalizeChannels())
            .Append(ml.Transforms.NormalizeInput())
            .Append(ml.Transforms.RandomMirror(new RandomMirrorOptions { OutputColumnName = "Preview", InputColumnName = "Features", AlwaysRandom = true }))
            .Append(ml.MulticlassClassification.Trainers.NeuralNetwork(new NeuralNetworkMulticlassTrainer.Options { HiddenLayers = [16], NumberOfEpochs = 2, Seed = 1 }));
        var model = pipeline.Fit(view);
        var path = Path.Combine(Path.GetTempPath(), $"mlnetdeep-aug-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.SaveWithNetworks(model, view.Schema, path);
            var loaded = new MLContext(seed: 99).Model.LoadWithNetworks(path, out var schema);
            Assert.That(schema.Select(c => c.Name), Is.EqualTo(view.Schema.Select(c => c.Name)));
            var before = model.Transform(view);
            var after = loaded.Transform(view);
            Assert.That(Column(after, "Score"), Is.EqualTo(Column(before, "Score")));
            Assert.That(Column(after, "Features"), Is.EqualTo(Column(before, "Features")));
            Assert.That(Column(after, "Preview"), Is.EqualTo(Column(before, "Preview")), "an AlwaysRandom step keeps its seed");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestCase("\"RandomMirror\"", "\"NoSuchStep\"", "NoSuchStep")]
    [TestCase("\"horizontal\"", "\"sideways\"", "horizontal")]
    public void ACorruptImageStepIsRejectedNamingTheFile(string find, string replace, string named)
    {
        var ml = new MLContext(seed: 1);
        var view = Images().ToDataView(ml);
        var model = ml.Transforms.RandomMirror().Fit(view);
        var path = Path.Combine(Path.GetTempPath(), $"mlnetdeep-aug-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.SaveWithNetworks(model, view.Schema, path);

            // Edited with the checksum recomputed, as a deliberate edit would be: the step's own checks must catch it.
            PipelineFiles.EditManifest(path, text =>
            {
                Assert.That(text, Does.Contain(find));
                return text.Replace(find, replace, StringComparison.Ordinal);
            });

            var e = Assert.Throws<InvalidDataException>(() => ml.Model.LoadWithNetworks(path, out _));
            Assert.That(e!.Message, Does.Contain(path).And.Contain(named));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void MlNetSaveNamesSaveWithNetworks()
    {
        var ml = new MLContext(seed: 1);
        var view = Images().ToDataView(ml);
        var model = ml.Transforms.RandomMirror().Fit(view);
        var e = Assert.Throws<NotSupportedException>(() => ml.Model.Save(model, view.Schema, new MemoryStream()));
        Assert.That(e!.Message, Does.Contain("SaveWithNetworks"));
    }

    [Test]
    public void BadInputIsNamed()
    {
        var ml = new MLContext(seed: 1);
        var view = Images().ToDataView(ml);
        var missing = Assert.Throws<ArgumentException>(() => ml.Transforms.RandomMirror("Pixels").Fit(view));
        Assert.That(missing!.Message, Does.Contain("'Pixels'").And.Contain("'Features'"));
        var text = Assert.Throws<ArgumentException>(() => ml.Transforms.RandomMirror("Label").Fit(view));
        Assert.That(text!.Message, Does.Contain("'Label'").And.Contain("Single"));
        var shape = Assert.Throws<ArgumentException>(() => ml.Transforms.RandomMirror(new RandomMirrorOptions { ImageShape = [3, 5, 5] }).Fit(view));
        Assert.That(shape!.Message, Does.Contain("[3, 5, 5]").And.Contain("192"));
        var crop = Assert.Throws<ArgumentException>(() => ml.Transforms.RandomCrop("Features", 9, 9).Fit(view));
        Assert.That(crop!.Message, Does.Contain("9"));
        var pca = Assert.Throws<ArgumentException>(() => ml.Transforms.PcaColorShift(new PcaColorShiftOptions { ImageShape = [1, 8, 24] }).Fit(view));
        Assert.That(pca!.Message, Does.Contain("3 channels"));

        // EstimatorChain.Fit checks every estimator's output schema before fitting anything.
        var chain = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.Transforms.RandomMirror("Pixels"));
        var early = Assert.Throws<ArgumentException>(() => chain.Fit(view));
        Assert.That(early!.Message, Does.Contain("'Pixels'"));
    }

    [Test]
    public void AFlatFeatureVectorTakesADeclaredImageShape()
    {
        var ml = new MLContext(seed: 1);
        var train = MlData.Rows(ml, Images());
        Assert.That(((VectorDataViewType)train.Schema["Features"].Type).Dimensions.ToArray(), Is.EqualTo(new[] { 192 }));
        var model = ml.Transforms.RandomTranslation(new RandomTranslationOptions { ImageShape = [3, 8, 8], MaxShiftX = 1, MaxShiftY = 1 }).Fit(train);
        Assert.That(((VectorDataViewType)model.Transform(train).Schema["Features"].Type).Dimensions.ToArray(), Is.EqualTo(new[] { 3, 8, 8 }));
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    public void PhotosFlowFromLoadImagesThroughTheStepsIntoATrainer(int seed)
    {
        // The README's pipeline on the three photos of datasets/images (one class each, four copies), at 64 → 56 pixels.
        var ml = new MLContext(seed: 1);
        var folder = DatasetPaths.Find("images");
        var rows = new[] { "astronaut", "chelsea", "coffee" }
            .SelectMany(name => Enumerable.Repeat(new PhotoRow { Path = name + ".png", Label = name }, 4)).ToList();
        var data = ml.Data.LoadFromEnumerable(rows);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.LoadImages("Image", folder, nameof(PhotoRow.Path)))
            .Append(ml.Transforms.ResizeImages("Image", 64, 64, cropAnchor: Microsoft.ML.Transforms.Image.ImageResizingEstimator.Anchor.Center, resizing: Microsoft.ML.Transforms.Image.ImageResizingEstimator.ResizingKind.IsoCrop))
            .Append(ml.Transforms.ExtractPixels("Features", "Image", scaleImage: 1f / 255))
            .Append(ml.Transforms.RandomCrop("Features", 56, 56))
            .Append(ml.Transforms.RandomMirror())
            .Append(ml.Transforms.PcaColorShift(sigma: 0.1))
            .Append(ml.Transforms.NormalizeChannels())
            .Append(ml.MulticlassClassification.Trainers.NeuralNetwork(new NeuralNetworkMulticlassTrainer.Options
            {
                Network = (_, outputs) => new Sequential(new Conv2D(4, 5, stride: 2), new ReLU(), new MaxPool2D(2), new Flatten(), new Dense(outputs)),
                NumberOfEpochs = 15,
                BatchSize = 4,
                LearningRate = 3e-3f,
                Seed = seed,
            }));
        var model = pipeline.Fit(data);
        var network = model.LastTransformer;
        Assert.That(network.FeatureShape, Is.EqualTo(new[] { 3, 56, 56 }));
        Assert.That(network.History!.Epochs[^1].TrainAccuracy, Is.EqualTo(1.0), "three distinct photos must be learnt");
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(data));
        Assert.That(metrics.MicroAccuracy, Is.EqualTo(1.0));
    }

    [Test]
    public void InterleavedPixelsAreRejectedWithAHint()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable([new PhotoRow { Path = "chelsea.png", Label = "cat" }]);
        var pixels = ml.Transforms.LoadImages("Image", DatasetPaths.Find("images"), nameof(PhotoRow.Path))
            .Append(ml.Transforms.ResizeImages("Image", 40, 30))
            .Append(ml.Transforms.ExtractPixels("Features", "Image", interleavePixelColors: true))
            .Fit(data).Transform(data);
        var e = Assert.Throws<ArgumentException>(() => ml.Transforms.RandomMirror().Fit(pixels));
        TestContext.Out.WriteLine(pixels.Schema["Features"].Type);
        Assert.That(e!.Message, Does.Contain("interleave").And.Contain("CHW"));
    }

    /// <summary>An identity layer that, while training, records a checksum of every sample it sees, per epoch.</summary>
    private sealed class InputRecorder : Layer
    {
        private int _calls;

        public List<List<double>> Epochs { get; } = [];

        public override LayerDescription Describe() => new("Identity", Name);

        protected override int[] OnBuild(int[] inputShape, RandomSource random) => inputShape;

        protected override Tensor OnForward(Tensor input, bool training)
        {
            if (training)
            {
                if (_calls++ % 3 == 0)
                {
                    Epochs.Add([]);
                }

                for (var r = 0; r < input.Rows; r++)
                {
                    double sum = 0;
                    var row = input.Row(r);
                    for (var j = 0; j < row.Length; j++)
                    {
                        sum += row[j] * (j + 1);
                    }

                    Epochs[^1].Add(sum);
                }
            }

            return input;
        }

        protected override Tensor OnBackward(Tensor outputGradient) => outputGradient;
    }

    private sealed class PhotoRow
    {
        public string Path { get; set; } = string.Empty;

        public string Label { get; set; } = string.Empty;
    }

    private sealed class ScoredImage
    {
        public float[] Features { get; set; } = [];
    }

    private sealed class ImageRow
    {
        [VectorType(3, 8, 8)]
        public float[] Features { get; set; } = [];

        public string Label { get; set; } = string.Empty;
    }
}
