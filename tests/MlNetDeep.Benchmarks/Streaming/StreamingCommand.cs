using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using MlNetDeep.Data;
using MlNetDeep.Layers;
using MlNetDeep.Layers.Activations;
using MlNetDeep.ML;
using MlNetDeep.ML.Internal;
using MlNetDeep.Models;
using MlNetDeep.Optimizers;
using MlNetDeep.Vision;

namespace MlNetDeep.Benchmarks.Streaming;

/// <summary>
/// The runs behind the streaming figures of issue 11, one scenario per process so that <c>/usr/bin/time -v</c> reports
/// each one's peak RSS:
/// <c>dotnet run -c Release --project tests/MlNetDeep.Benchmarks -- streaming SCENARIO [--option value ...]</c>.
/// </summary>
/// <remarks>
/// Scenarios: <c>view</c> (one epoch over lazily generated 3×128×128 rows; <c>--rows</c>, <c>--size</c>, <c>--budget-mib</c>),
/// <c>huge</c> (one epoch over 2,049 generated 1×1024×1024 rows: 2^31 + 2^20 floats), <c>write-folder</c> (<c>--dir</c>,
/// <c>--count</c>, <c>--size</c>: generated colour-shape PNGs, one subfolder per class), <c>folder</c> (one epoch over that
/// folder through LoadImages → ResizeImages → ExtractPixels → RandomMirror → the trainer), <c>mnist</c> (LeNet-5 on the
/// MNIST digits in memory, streamed and from a pixel cache, <c>--rounds</c> rounds after a warm-up, the order reversed
/// every other round: throughput and whether the models are the same).
/// </remarks>
internal static class StreamingCommand
{
    public static int Run(string[] args)
    {
        if (args.Length == 0)
        {
            Console.Error.WriteLine("usage: streaming view|huge|write-folder|folder|mnist [--option value ...]");
            return 1;
        }

        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 1; i + 1 < args.Length; i += 2)
        {
            options[args[i].TrimStart('-')] = args[i + 1];
        }

        int Int(string name, int fallback) => options.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        string Text(string name, string fallback) => options.TryGetValue(name, out var v) ? v : fallback;
        Console.WriteLine($"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
        return args[0] switch
        {
            "view" => View(Int("rows", 20_000), Int("size", 128), Int("budget-mib", 1024), Int("batch", 64)),
            "huge" => Huge(Int("budget-mib", 1024)),
            "write-folder" => WriteFolder(Text("dir", "/tmp/mlnetdeep-folder"), Int("count", 50_000), Int("size", 80)),
            "folder" => Folder(Text("dir", "/tmp/mlnetdeep-folder"), Int("size", 80), Int("budget-mib", 1024), Int("batch", 64), Text("workspace", string.Empty)),
            "mnist" => Mnist(Int("rounds", 3), Int("epochs", 2)),
            _ => throw new ArgumentException($"Unknown scenario '{args[0]}'."),
        };
    }

    /// <summary>A small CNN that cuts a large image down fast: strided convolution, pooling, a dense head.</summary>
    private static Layer Cheap(int[] shape, int outputs) =>
        new Sequential(new Conv2D(8, 5, stride: 4), new ReLU(), new MaxPool2D(4), new Flatten(), new Dense(outputs));

    private static int View(int rows, int size, int budgetMiB, int batch)
    {
        var view = new GeneratedImageView(rows, 3, size, size, 10, seed: 1);
        Report($"lazily generated view: {rows:N0} rows of 3×{size}×{size}", (long)rows * 3 * size * size);
        var model = Train(view, budgetMiB, batch, Cheap, epochs: 1);
        Console.WriteLine($"images made: {view.FeaturesMade:N0} (labels pass reads no image)");
        return Done(model);
    }

    private static int Huge(int budgetMiB)
    {
        const int side = 1024;
        var view = new GeneratedImageView(2049, 1, side, side, 2, seed: 3) { Noise = false };
        Report($"lazily generated view: 2,049 rows of 1×{side}×{side}", 2049L * side * side);
        var model = Train(view, budgetMiB, 8, (_, outputs) => new Sequential(new AvgPool2D(64), new Flatten(), new Dense(outputs)), epochs: 1, shuffle: false);
        return Done(model);
    }

    private static int WriteFolder(string dir, int count, int size)
    {
        var clock = Stopwatch.StartNew();
        const int chunk = 500;
        for (var start = 0; start < count; start += chunk)
        {
            var n = Math.Min(chunk, count - start);
            var data = ColorShapes.Generate(n, (ulong)(1000 + start), size);
            Parallel.For(0, n, i =>
            {
                var folder = Path.Combine(dir, data.ClassNames[data.Labels[i]]);
                Directory.CreateDirectory(folder);
                var image = data.Features.Row(i);
                var plane = size * size;
                var rgba = new byte[4 * plane];
                for (var p = 0; p < plane; p++)
                {
                    for (var c = 0; c < 3; c++)
                    {
                        rgba[(4 * p) + c] = ImageFiles.ToByte(image[(c * plane) + p]);
                    }

                    rgba[(4 * p) + 3] = 255;
                }

                using var encoded = MLImage.CreateFromPixels(size, size, MLPixelFormat.Rgba32, rgba);
                encoded.Save(Path.Combine(folder, $"{start + i:D7}.png"));
            });
        }

        var bytes = Directory.EnumerateFiles(dir, "*.png", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        Console.WriteLine($"wrote {count:N0} PNGs of {size}×{size} to {dir}: {bytes / 1e6:F0} MB on disk, {clock.Elapsed.TotalSeconds:F0} s");
        return 0;
    }

    private static int Folder(string dir, int size, int budgetMiB, int batch, string workspace)
    {
        var ml = new MLContext(seed: 1);
        Log(ml);
        var rows = ml.Data.LoadFromImageFolder(dir, seed: 1);
        var count = rows.GetRowCount() ?? 0;
        Report($"image folder {dir}: {count:N0} PNGs decoded to 3×{size}×{size}", count * 3L * size * size);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.LoadImages("Image", imageFolder: null, inputColumnName: "ImagePath"))
            .Append(ml.Transforms.ResizeImages("Image", size, size))
            .Append(ml.Transforms.ExtractPixels("Features", "Image", ImagePixelExtractingEstimator.ColorBits.Rgb, scaleImage: 1f / 255))
            .Append(ml.Transforms.RandomMirror())
            .Append(ml.MulticlassClassification.Trainers.NeuralNetwork(Options(budgetMiB, batch, Cheap, 1, true, workspace.Length > 0 ? workspace : null)));
        var clock = Stopwatch.StartNew();
        var model = pipeline.Fit(rows);
        Console.WriteLine($"Fit: {clock.Elapsed.TotalSeconds:F1} s");
        return Done(model.LastTransformer);
    }

    private static int Mnist(int rounds, int epochs)
    {
        var digits = MlNetDeep.Data.Mnist.Load(DatasetPaths.Find("mnist"), "train");
        var workspace = Directory.CreateTempSubdirectory("mlnetdeep-mnist-").FullName;
        try
        {
            var modes = new (string Name, long Budget, string? Workspace)[]
            {
                ("in memory", 1L << 30, null),
                ("streamed (shuffle pool)", 1 << 20, null),
                ("streamed from pixel cache", 1 << 20, workspace),
            };
            var seconds = new List<double>[modes.Length];
            var weights = new float[modes.Length][];
            for (var m = 0; m < modes.Length; m++)
            {
                seconds[m] = [];
            }

            // Round 0 warms up (JIT, first-touch pages) and is not counted; later rounds run the modes forwards and
            // backwards in turn, so that neither mode always runs first after the other's garbage.
            for (var round = 0; round <= rounds; round++)
            {
                for (var k = 0; k < modes.Length; k++)
                {
                    var m = round % 2 == 1 ? k : modes.Length - 1 - k;
                    var ml = new MLContext(seed: 1);
                    var view = Digits(ml, digits);
                    NeuralNetworkTransformer? model = null;
                    var options = Options((int)(modes[m].Budget >> 20), 64, (_, outputs) => Architectures.LeNet5(outputs), epochs, true, modes[m].Workspace);
                    options.MemoryBudget = modes[m].Budget;
                    options.Optimizer = new Momentum(0.05f, 0.9f);
                    var clock = Stopwatch.StartNew();
                    model = ml.MulticlassClassification.Trainers.NeuralNetwork(options).Fit(view);
                    weights[m] = [.. model.Network.Parameters.SelectMany(p => p.Value.Span.ToArray())];
                    if (round == 0)
                    {
                        Console.WriteLine($"warm-up, {modes[m].Name}: {clock.Elapsed.TotalSeconds:F2} s (not counted)");
                        continue;
                    }

                    seconds[m].Add(clock.Elapsed.TotalSeconds);
                    Console.WriteLine($"round {round}, {modes[m].Name}: {clock.Elapsed.TotalSeconds:F2} s");
                }
            }

            var rows = (double)digits.Count * epochs;
            var baseline = Median(seconds[0]);
            Console.WriteLine();
            Console.WriteLine($"LeNet-5, {digits.Count:N0} MNIST digits, batch 64, {epochs} epochs per Fit, median of {rounds} rounds (after a warm-up; order reversed every other round):");
            for (var m = 0; m < modes.Length; m++)
            {
                var s = Median(seconds[m]);
                // Rounds run back to back see the same load on a shared machine: the ratio within a round is the fairer figure.
                var paired = Median([.. seconds[0].Zip(seconds[m], (inMemory, mode) => inMemory / mode)]);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {modes[m].Name,-28} {s,7:F2} s  {rows / s,8:F0} rows/s  {baseline / s,5:F2}× in memory (median of the rounds' ratios {paired:F2}×)  same weights as in memory: {(weights[m].AsSpan().SequenceEqual(weights[0]) ? "yes" : "no")}"));
            }

            // Streamed in the view's order, without the shuffle pool: the same model as in memory with shuffling off.
            float[] Unshuffled(long budget)
            {
                var ml = new MLContext(seed: 1);
                var options = Options(1, 64, (_, outputs) => Architectures.LeNet5(outputs), 1, shuffle: false);
                options.MemoryBudget = budget;
                options.ProgressCallback = null;
                var model = ml.MulticlassClassification.Trainers.NeuralNetwork(options).Fit(Digits(ml, digits));
                return [.. model.Network.Parameters.SelectMany(p => p.Value.Span.ToArray())];
            }

            Console.WriteLine($"  Shuffle = false, streamed vs in memory, 1 epoch: same weights: {(Unshuffled(1 << 20).AsSpan().SequenceEqual(Unshuffled(1L << 30)) ? "yes" : "no")}");
            return 0;
        }
        finally
        {
            Directory.Delete(workspace, recursive: true);
        }
    }

    /// <summary>The digits as an ML.NET cache of (Features, Label key): every mode reads the same view, as cheap to read as ML.NET makes it.</summary>
    private static IDataView Digits(MLContext ml, ClassificationData digits)
    {
        var rows = Enumerable.Range(0, digits.Count).Select(i => new Digit { Features = digits.Features.Row(i).ToArray(), Label = (uint)digits.Labels[i] }).ToList();
        var schema = SchemaDefinition.Create(typeof(Digit));
        schema[nameof(Digit.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 1, 28, 28);
        var raw = ml.Data.LoadFromEnumerable(rows, schema);
        return ml.Data.Cache(ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw));
    }

    private static NeuralNetworkMulticlassTrainer.Options Options(int budgetMiB, int batch, Func<int[], int, Layer> network, int epochs, bool shuffle, string? workspace = null) => new()
    {
        Network = network,
        Optimizer = new Adam(1e-3f),
        NumberOfEpochs = epochs,
        BatchSize = batch,
        Seed = 1,
        Shuffle = shuffle,
        MemoryBudget = (long)budgetMiB << 20,
        WorkspacePath = workspace,
        ProgressCallback = e => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  epoch {e.Epoch}: {e.TrainRows:N0} rows, loss {e.TrainLoss:F4}, accuracy {e.TrainAccuracy:P1}, {e.Seconds:F1} s ({e.TrainRows / e.Seconds:F0} rows/s)")),
    };

    private static NeuralNetworkTransformer Train(IDataView view, int budgetMiB, int batch, Func<int[], int, Layer> network, int epochs, bool shuffle = true)
    {
        var ml = new MLContext(seed: 1);
        Log(ml);
        var clock = Stopwatch.StartNew();
        var model = ml.MulticlassClassification.Trainers.NeuralNetwork(Options(budgetMiB, batch, network, epochs, shuffle)).Fit(view);
        Console.WriteLine($"Fit: {clock.Elapsed.TotalSeconds:F1} s");
        return model;
    }

    private static void Log(MLContext ml) => ml.Log += (_, e) =>
    {
        if (e.Source.Contains("MlNetDeep", StringComparison.Ordinal) && (e.Message.Contains("budget", StringComparison.Ordinal) || e.Message.Contains("cache", StringComparison.Ordinal)))
        {
            Console.WriteLine($"  log: {e.Message}");
        }
    };

    private static void Report(string what, long floats) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{what}: {floats:N0} floats, {floats * 4 / (double)(1L << 30):F2} GiB as floats ({(floats > int.MaxValue ? "more" : "fewer")} than 2^31 floats)"));

    private static int Done(ITransformer model)
    {
        _ = model;
        using var process = Process.GetCurrentProcess();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"peak working set {process.PeakWorkingSet64 / (double)(1L << 30):F2} GiB, managed heap now {GC.GetTotalMemory(false) / (double)(1L << 20):F0} MiB"));
        return 0;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    private sealed class Digit
    {
        public float[] Features { get; set; } = [];

        public uint Label { get; set; }
    }
}
