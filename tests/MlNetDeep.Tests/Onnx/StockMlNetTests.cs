using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Layers;
using MlNetDeep.Layers.Activations;
using MlNetDeep.ML;
using MlNetDeep.Onnx;
using MlNetDeep.Serialization;

namespace MlNetDeep.Tests.Onnx;

/// <summary>
/// A fitted MlNetDeep pipeline converted to stock ML.NET is saved by <c>mlContext.Model.Save</c>, loaded by
/// <c>mlContext.Model.Load</c> in a process that references only Microsoft.ML, Microsoft.ML.OnnxTransformer and
/// Microsoft.ML.OnnxRuntime (tests/MlNetDeep.StockConsumer), and scores as the MlNetDeep pipeline does.
/// </summary>
[NonParallelizable]
public class StockMlNetTests
{
    private const double Tolerance = 1e-4;
    private static readonly string[] Classes = ["cat", "dog", "eel"];

    [Test]
    public void AMulticlassImagePipelineScoresTheSameInAProcessWithoutMlNetDeep()
    {
        var ml = new MLContext(seed: 1);
        var train = Images(ml, 90, 1);
        var test = Images(ml, 12, 2);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.RandomCrop("Features", 6, 6))
            .Append(ml.Transforms.RandomMirror("Features"))
            .Append(ml.Transforms.NormalizeChannels("Features"))
            .Append(ml.MulticlassClassification.Trainers.NeuralNetwork(new NeuralNetworkMulticlassTrainer.Options
            {
                Network = (shape, classes) => new Sequential(
                    new Conv2D(4, 3, padding: 1), new BatchNormalization(), new ReLU(), new MaxPool2D(2), new Flatten(), new Dense(classes)),
                NumberOfEpochs = 3,
                BatchSize = 16,
                Seed = 3,
            }))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedClass", "PredictedLabel"));
        var model = pipeline.Fit(train);

        var (path, loaded) = ConvertSaveAndLoad(ml, model, train);
        try
        {
            var schema = loaded.GetOutputSchema(train.Schema);
            Assert.That(schema["Score"].Type, Is.EqualTo(new VectorDataViewType(NumberDataViewType.Single, 3)), "Score as MlNetDeep's");
            Assert.That(schema["PredictedLabel"].Type, Is.EqualTo(new KeyDataViewType(typeof(uint), 3)), "PredictedLabel a key of the classes");
            VBuffer<ReadOnlyMemory<char>> keys = default;
            schema["PredictedLabel"].GetKeyValues(ref keys);
            Assert.That(keys.DenseValues().Select(k => k.ToString()), Is.EqualTo(Classes), "with the label's KeyValues");
            Assert.That(schema["PredictedClass"].Type, Is.EqualTo(TextDataViewType.Instance), "ML.NET's own MapKeyToValue is kept");

            var expected = Read(model.Transform(test), "Score", "PredictedLabel");
            Compare(expected, Read(loaded.Transform(test), "Score", "PredictedLabel"), "in this process");
            Compare(expected, RunConsumer(path, test), "in a process without MlNetDeep");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void ABinaryPipelineScoresTheSameInAProcessWithoutMlNetDeep()
    {
        var ml = new MLContext(seed: 1);
        var train = Flat(ml, 80, 1);
        var test = Flat(ml, 12, 2);
        var model = ml.Transforms.NormalizeInput("Features")
            .Append(ml.BinaryClassification.Trainers.NeuralNetwork(hiddenLayers: [8], numberOfEpochs: 3))
            .Fit(train);

        var (path, loaded) = ConvertSaveAndLoad(ml, model, train);
        try
        {
            var schema = loaded.GetOutputSchema(train.Schema);
            Assert.That(schema["Score"].Type, Is.EqualTo(NumberDataViewType.Single));
            Assert.That(schema["Probability"].Type, Is.EqualTo(NumberDataViewType.Single));
            Assert.That(schema["PredictedLabel"].Type, Is.EqualTo(BooleanDataViewType.Instance));
            var expected = Read(model.Transform(test), "Score", "Probability", "PredictedLabel");
            Compare(expected, Read(loaded.Transform(test), "Score", "Probability", "PredictedLabel"), "in this process");
            Compare(expected, RunConsumer(path, test), "in a process without MlNetDeep");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void OutputColumnsKeepTheNamesTheTrainerWasGiven()
    {
        var ml = new MLContext(seed: 1);
        var train = Images(ml, 60, 1);
        var model = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.NeuralNetwork(new NeuralNetworkMulticlassTrainer.Options
            {
                HiddenLayers = [6],
                NumberOfEpochs = 1,
                ScoreColumnName = "Probabilities",
                PredictedLabelColumnName = "Animal",
            }))
            .Fit(train);

        var converted = ml.ConvertToStockMlNet(model, train);

        var schema = converted.GetOutputSchema(train.Schema);
        Assert.That(schema.GetColumnOrNull("Score"), Is.Null);
        Assert.That(schema.GetColumnOrNull("PredictedLabel"), Is.Null);
        Compare(Read(model.Transform(train), "Probabilities", "Animal"), Read(converted.Transform(train), "Probabilities", "Animal"), "with renamed columns");
    }

    [Test]
    public void CustomColumnNamesAreHonouredInAProcessWithoutMlNetDeep()
    {
        // Features and label of other names, two networks in one pipeline: the first with ML.NET's output names, the second
        // with its own. The second's conversion must not hide or drop the first's Score and PredictedLabel.
        var ml = new MLContext(seed: 1);
        var train = Images(ml, 60, 1, "Pixels", "Kind");
        var test = Images(ml, 9, 2, "Pixels", "Kind");
        NeuralNetworkMulticlassTrainer.Options Options(int hidden, int seed, string score, string predicted) => new()
        {
            FeatureColumnName = "Pixels",
            LabelColumnName = "Kind",
            HiddenLayers = [hidden],
            NumberOfEpochs = 1,
            Seed = seed,
            ScoreColumnName = score,
            PredictedLabelColumnName = predicted,
        };
        var model = ml.Transforms.Conversion.MapValueToKey("Kind")
            .Append(ml.MulticlassClassification.Trainers.NeuralNetwork(Options(6, 3, "Score", "PredictedLabel")))
            .Append(ml.MulticlassClassification.Trainers.NeuralNetwork(Options(5, 4, "Probabilities", "Animal")))
            .Fit(train);
        string[] columns = ["Score", "PredictedLabel", "Probabilities", "Animal"];

        var (path, loaded) = ConvertSaveAndLoad(ml, model, train);
        try
        {
            var schema = loaded.GetOutputSchema(train.Schema);
            Assert.That(schema.Where(c => !c.IsHidden).Select(c => c.Name), Is.EquivalentTo((string[])["Kind", "Pixels", .. columns]),
                "the input, both networks' columns and no temporary one");
            Assert.That(schema["Animal"].Type, Is.EqualTo(new KeyDataViewType(typeof(uint), 3)), "Animal a key of the classes");
            var expected = Read(model.Transform(test), columns);
            Assert.That(expected.Select(r => r["Score"]), Is.Not.EqualTo(expected.Select(r => r["Probabilities"])), "two different networks");
            Compare(expected, Read(loaded.Transform(test), columns), "with custom names, in this process");
            Compare(expected, RunConsumer(path, test, "Pixels", "Kind", columns), "with custom names, in a process without MlNetDeep");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void BinaryColumnNamesThatTradePlacesAreHonouredInAProcessWithoutMlNetDeep()
    {
        // Score is written as PredictedLabel and PredictedLabel as Score: a rename in place would read an overwritten column.
        var ml = new MLContext(seed: 1);
        var train = Flat(ml, 80, 1, "Measurements", "Sick");
        var test = Flat(ml, 12, 2, "Measurements", "Sick");
        var model = ml.BinaryClassification.Trainers.NeuralNetwork(new NeuralNetworkBinaryTrainer.Options
        {
            FeatureColumnName = "Measurements",
            LabelColumnName = "Sick",
            HiddenLayers = [8],
            NumberOfEpochs = 3,
            ScoreColumnName = "PredictedLabel",
            PredictedLabelColumnName = "Score",
            ProbabilityColumnName = "Chance",
        }).Fit(train);
        string[] columns = ["PredictedLabel", "Chance", "Score"];

        var (path, loaded) = ConvertSaveAndLoad(ml, model, train);
        try
        {
            var schema = loaded.GetOutputSchema(train.Schema);
            Assert.That(schema.Where(c => !c.IsHidden).Select(c => c.Name), Is.EquivalentTo((string[])["Sick", "Measurements", .. columns]));
            Assert.That(schema["PredictedLabel"].Type, Is.EqualTo(NumberDataViewType.Single), "the score, under the name it was given");
            Assert.That(schema["Score"].Type, Is.EqualTo(BooleanDataViewType.Instance), "the predicted label, under the name it was given");
            var expected = Read(model.Transform(test), columns);
            Compare(expected, Read(loaded.Transform(test), columns), "with traded names, in this process");
            Compare(expected, RunConsumer(path, test, "Measurements", "Sick", columns), "with traded names, in a process without MlNetDeep");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void ARegressionPipelineScoresTheSame()
    {
        var ml = new MLContext(seed: 1);
        var rows = Enumerable.Range(0, 60).Select(i => new RegressionRow
        {
            Features = [.. Enumerable.Range(0, 4).Select(j => (float)Math.Sin(i + j))],
            Label = (float)Math.Cos(i),
        }).ToArray();
        var definition = SchemaDefinition.Create(typeof(RegressionRow));
        definition["Features"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 4);
        var data = ml.Data.LoadFromEnumerable(rows, definition);
        var model = ml.Regression.Trainers.NeuralNetwork(hiddenLayers: [5], numberOfEpochs: 2).Fit(data);

        var (path, loaded) = ConvertSaveAndLoad(ml, model, data);
        try
        {
            Assert.That(loaded.GetOutputSchema(data.Schema)["Score"].Type, Is.EqualTo(NumberDataViewType.Single));
            Compare(Read(model.Transform(data), "Score"), Read(loaded.Transform(data), "Score"), "regression, saved and loaded");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void ARowWithoutAScoreStaysWithoutOne()
    {
        // NeuralNetworkTransformer's rule: a non-finite feature scores NaN with the missing key; the converted pipeline agrees.
        var ml = new MLContext(seed: 1);
        var train = Images(ml, 60, 1);
        var model = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.NeuralNetwork(hiddenLayers: [6], numberOfEpochs: 1))
            .Fit(train);
        var rows = Rows(4, 5);
        rows[1].Features[7] = float.NaN;
        var test = ml.Data.LoadFromEnumerable(rows, Definition());

        var converted = ml.ConvertToStockMlNet(model, train);

        var expected = Read(model.Transform(test), "Score", "PredictedLabel");
        var actual = Read(converted.Transform(test), "Score", "PredictedLabel");
        Assert.That(expected[1]["PredictedLabel"], Is.EqualTo("0:"), "MlNetDeep gives the missing key");
        Compare(expected, actual, "with a NaN feature");
    }

    [Test]
    public void AStepThatCannotBeConvertedIsNamed()
    {
        var ml = new MLContext(seed: 1);
        var train = Images(ml, 40, 1);
        var random = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.RandomMirror(new RandomMirrorOptions { OutputColumnName = "Mirrored", InputColumnName = "Features", AlwaysRandom = true }))
            .Fit(train);
        Assert.That(() => ml.ConvertToStockMlNet(random, train), Throws.TypeOf<NotSupportedException>()
            .With.Message.Contains("'Mirrored'").And.Message.Contains("AlwaysRandom"));

        var custom = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.NeuralNetwork(new NeuralNetworkMulticlassTrainer.Options
            {
                Network = (shape, classes) => new Sequential(new Flatten(), new Dense(classes), new Doubler { Name = "twice" }),
                NumberOfEpochs = 1,
            }))
            .Fit(train);
        Assert.That(() => ml.ConvertToStockMlNet(custom, train), Throws.TypeOf<NotSupportedException>()
            .With.Message.Contains("MulticlassClassification network").And.Message.Contains("'twice'").And.Message.Contains("Doubler"));
    }

    private static (string Path, ITransformer Loaded) ConvertSaveAndLoad(MLContext ml, ITransformer model, IDataView data)
    {
        var converted = ml.ConvertToStockMlNet(model, data);
        var path = Path.Combine(Path.GetTempPath(), $"stock-{Guid.NewGuid():N}.zip");
        ml.Model.Save(converted, data.Schema, path);
        return (path, new MLContext(seed: 2).Model.Load(path, out _));
    }

    /// <summary>The consumer's output for <paramref name="data"/>'s rows; the consumer must find no MlNetDeep assembly.</summary>
    private static List<Dictionary<string, string>> RunConsumer(string model, IDataView data, string featuresName = "Features", string labelName = "Label", string[]? columns = null)
    {
        var dll = ConsumerPath();
        Assert.That(Directory.GetFiles(Path.GetDirectoryName(dll)!, "MlNetDeep.*.dll").Select(Path.GetFileName), Is.EqualTo(new[] { "MlNetDeep.StockConsumer.dll" }),
            "the consumer's folder holds no MlNetDeep library");
        var input = Path.GetTempFileName();
        var output = Path.GetTempFileName();
        try
        {
            var lines = new List<string>();
            using (var cursor = data.GetRowCursor(data.Schema))
            {
                var features = cursor.GetGetter<VBuffer<float>>(data.Schema[featuresName]);
                var label = data.Schema[labelName].Type is BooleanDataViewType ? BoolLabel(cursor, labelName) : TextLabel(cursor, labelName);
                VBuffer<float> buffer = default;
                while (cursor.MoveNext())
                {
                    features(ref buffer);
                    lines.Add($"{label()}\t{string.Join(' ', buffer.DenseValues().Select(v => v.ToString("R", CultureInfo.InvariantCulture)))}");
                }
            }

            File.WriteAllLines(input, lines);
            var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            string[] arguments = columns is null ? [dll, model, input, output] : [dll, model, input, output, featuresName, labelName, string.Join(',', columns)];
            foreach (var a in arguments)
            {
                info.ArgumentList.Add(a);
            }

            using var process = Process.Start(info)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail("the consumer did not finish within 2 minutes");
            }

            Assert.That(process.ExitCode, Is.Zero, $"the consumer failed:\n{stdout.Result}\n{stderr.Result}");
            TestContext.Out.WriteLine(stdout.Result.Trim());
            return [.. File.ReadAllLines(output).Where(l => l.Length > 0).Select(l => l.Split('\t').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]))];
        }
        finally
        {
            File.Delete(input);
            File.Delete(output);
        }
    }

    private static Func<string> TextLabel(DataViewRow row, string name)
    {
        var getter = row.GetGetter<ReadOnlyMemory<char>>(row.Schema[name]);
        return () =>
        {
            ReadOnlyMemory<char> v = default;
            getter(ref v);
            return v.ToString();
        };
    }

    private static Func<string> BoolLabel(DataViewRow row, string name)
    {
        var getter = row.GetGetter<bool>(row.Schema[name]);
        return () =>
        {
            var v = false;
            getter(ref v);
            return v ? "true" : "false";
        };
    }

    /// <summary>The named columns of every row, written as the consumer writes them.</summary>
    private static List<Dictionary<string, string>> Read(IDataView scored, params string[] names)
    {
        var rows = new List<Dictionary<string, string>>();
        var columns = names.Select(n => scored.Schema[n]).ToArray();
        using var cursor = scored.GetRowCursor(columns);
        var readers = columns.Select(c => ScoreText.Writer(cursor, c)).ToArray();
        while (cursor.MoveNext())
        {
            rows.Add(columns.Select((c, i) => (c.Name, readers[i]())).ToDictionary(p => p.Name, p => p.Item2));
        }

        return rows;
    }


    private static void Compare(List<Dictionary<string, string>> expected, List<Dictionary<string, string>> actual, string where)
    {
        Assert.That(actual, Has.Count.EqualTo(expected.Count), $"rows {where}");
        double worst = 0;
        for (var r = 0; r < expected.Count; r++)
        {
            foreach (var (name, value) in expected[r])
            {
                Assert.That(actual[r].ContainsKey(name), Is.True, $"column {name} {where}");
                // Scores and probabilities compare within the tolerance whatever they are called; keys and Booleans exactly.
                if (Numbers(value) is { } e)
                {
                    var a = actual[r][name].Split(',').Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray();
                    Assert.That(a.Length, Is.EqualTo(e.Length), $"{name} of row {r} {where}");
                    if (e.All(float.IsNaN))
                    {
                        Assert.That(a.All(float.IsNaN), Is.True, $"{name} of row {r} {where}: MlNetDeep has no score, the converted pipeline has {actual[r][name]}");
                        continue;
                    }

                    var scale = e.Max(v => Math.Abs(v));
                    var error = e.Zip(a, (x, y) => Math.Abs(x - y)).Max() / (scale == 0 ? 1 : scale);
                    worst = Math.Max(worst, error);
                    Assert.That(error, Is.LessThan(Tolerance), $"{name} of row {r} {where}: {value} vs {actual[r][name]}");
                }
                else
                {
                    Assert.That(actual[r][name], Is.EqualTo(value), $"{name} of row {r} {where}");
                }
            }
        }

        TestContext.Out.WriteLine($"{where}: {expected.Count} rows, max relative error of the scores {worst:E2}");
    }

    private static float[]? Numbers(string value)
    {
        var parts = value.Split(',');
        var numbers = new float[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!float.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out numbers[i]))
            {
                return null;
            }
        }

        return numbers;
    }

    private static string ConsumerPath()
    {
        // tests/MlNetDeep.Tests/bin/CONFIG/TFM/ → tests/MlNetDeep.StockConsumer/bin/CONFIG/TFM/
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var (tfm, config) = (here.Name, here.Parent!.Name);
        var tests = here.Parent.Parent!.Parent!.Parent!.FullName;
        var dll = Path.Combine(tests, "MlNetDeep.StockConsumer", "bin", config, tfm, "MlNetDeep.StockConsumer.dll");
        Assert.That(File.Exists(dll), Is.True, $"{dll} is built with the tests");
        return dll;
    }

    private static SchemaDefinition Definition(bool flat = false, string features = "Features", string label = "Label")
    {
        var definition = SchemaDefinition.Create(typeof(ImageRow));
        definition["Features"].ColumnType = flat ? new VectorDataViewType(NumberDataViewType.Single, 192) : new VectorDataViewType(NumberDataViewType.Single, 3, 8, 8);
        definition["Features"].ColumnName = features;
        definition["Label"].ColumnName = label;
        return definition;
    }

    private static IDataView Images(MLContext ml, int count, int seed, string features = "Features", string label = "Label") =>
        ml.Data.LoadFromEnumerable(Rows(count, seed), Definition(features: features, label: label));

    /// <summary>3×8×8 images whose class shows as a brighter channel, plus noise.</summary>
    private static ImageRow[] Rows(int count, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(i =>
        {
            var c = i % 3;
            var pixels = new float[192];
            for (var p = 0; p < pixels.Length; p++)
            {
                pixels[p] = (float)random.NextDouble() + (p / 64 == c ? 0.8f : 0f);
            }

            return new ImageRow { Label = Classes[c], Features = pixels };
        })];
    }

    private static IDataView Flat(MLContext ml, int count, int seed, string featuresName = "Features", string labelName = "Label")
    {
        var random = new Random(seed);
        var rows = Enumerable.Range(0, count).Select(i =>
        {
            var positive = i % 2 == 0;
            var features = new float[10];
            for (var j = 0; j < features.Length; j++)
            {
                features[j] = (float)(random.NextDouble() * 4) + (positive && j < 3 ? 2f : 0f) + 10f;
            }

            return new BinaryRow { Label = positive, Features = features };
        }).ToArray();
        var definition = SchemaDefinition.Create(typeof(BinaryRow));
        definition["Features"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 10);
        definition["Features"].ColumnName = featuresName;
        definition["Label"].ColumnName = labelName;
        return ml.Data.LoadFromEnumerable(rows, definition);
    }

    private sealed class ImageRow
    {
        public string Label { get; set; } = string.Empty;

        public float[] Features { get; set; } = [];
    }

    private sealed class RegressionRow
    {
        public float Label { get; set; }

        public float[] Features { get; set; } = [];
    }

    private sealed class BinaryRow
    {
        public bool Label { get; set; }

        public float[] Features { get; set; } = [];
    }

    private sealed class Doubler : ElementwiseLayer
    {
        public override LayerDescription Describe() => new("Doubler", Name);

        protected override void Apply(ReadOnlySpan<float> x, Span<float> y, bool training)
        {
            for (var i = 0; i < x.Length; i++)
            {
                y[i] = 2 * x[i];
            }
        }

        protected override void Derive(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
        {
            for (var i = 0; i < x.Length; i++)
            {
                dx[i] = 2 * dy[i];
            }
        }
    }
}
