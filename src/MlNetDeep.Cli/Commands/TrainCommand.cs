using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Charts;
using MlNetDeep.Data;
using MlNetDeep.ML;
using MlNetDeep.ML.Experiments;
using MlNetDeep.Training;

namespace MlNetDeep.Cli.Commands;

/// <summary><c>mlnetdeep train</c>: a network on a CSV/TSV file, an image folder or MNIST, inside an ML.NET pipeline; held-out metrics; the pipeline saved.</summary>
internal static class TrainCommand
{
    private static readonly string[] Tasks = ["auto", "multiclass", "binary", "regression", "segmentation", "verification", "detection", "landmarks"];
    private static readonly string[] Monitors = ["val-loss", "val-accuracy"];

    public static Command Create(Terminal terminal)
    {
        var dataset = Options.InputPath("--dataset", "A CSV or TSV file with a header, a folder of MNIST IDX files, or an image folder with one subfolder per class (default: the committed MNIST digits)", required: false);
        var label = new Option<string>("--label-col") { Description = "The label column of a CSV/TSV file (default Label)", DefaultValueFactory = _ => "Label" };
        var features = new Option<string?>("--features-col") { Description = "The feature columns of a CSV/TSV file, separated by commas (default: every other column)" };
        var task = Options.Choice("--task", "What to predict", "auto", Tasks);
        var model = Options.Choice("--model", "The network (default: lenet5 for MNIST, small-convnet for image folders, mlp for tables, unet for --task segmentation, yolo for --task detection)", null, [.. TrainingRecipe.Models, .. SegmentationTraining.Models, .. DetectionTraining.Models]);
        var hidden = Options.Sizes("--hidden", "Hidden layer sizes of --model mlp, such as 256,128 (mlp only)");
        var epochs = Options.Int("--epochs", "Passes over the training data", 10, 1, 100_000);
        var batch = Options.Int("--batch-size", "Mini-batch size (default 64 for mlp, else 32)", 32, 1, 1_000_000);
        var lr = Options.Float("--lr", "Learning rate (the one-cycle peak)", 5e-3f, v => v > 0 && v <= 10, "in (0, 10]");
        var keep = Options.Float("--keep-prob", "Dropout keep probability (default 0.9 for mlp, else 0.8)", 0.8f, v => v > 0 && v <= 1, "in (0, 1]");
        var l2 = Options.Float("--l2", "L2 strength", 1e-4f, v => v >= 0 && v <= 1, "in [0, 1]");
        var smoothing = Options.Float("--label-smoothing", "Label smoothing ε (multiclass)", 0.1f, v => v >= 0 && v < 1, "in [0, 1)");
        var optimizer = Options.Choice("--optimizer", "The optimizer", "adam", TrainingRecipe.Optimizers);
        var schedule = Options.Choice("--schedule", "The learning-rate schedule", "one-cycle", TrainingRecipe.Schedules);
        var init = Options.Choice("--init", "Weight initialisation of the mlp", "kaiming", TrainingRecipe.Initializations);
        var seed = Options.Int("--seed", "Seeds initialisation, shuffling, dropout and the held-out split", 0, 0, int.MaxValue);
        var testFraction = Options.Float("--test-fraction", "Share of the rows held out for the metrics when the data set has no test part", 0.2f, v => v > 0 && v < 1, "in (0, 1)");
        var imageSize = Options.Int("--image-size", "The side images are resized to (image folders), or of the generated scenes (--task segmentation and detection: default 64) and the coins crops (default 32)", 32, 8, 1024);
        var patience = Options.Int("--early-stopping", "Stop after this many epochs without improvement of --monitor, keeping the best weights (0: off)", 0, 0, 10_000);
        var monitor = Options.Choice("--monitor", "The metric early stopping and --checkpoint watch", "val-loss", Monitors);
        var save = Options.OutputFile("--save", "Save the fitted pipeline here (load with LoadWithNetworks, or use with evaluate and predict)");
        var plot = Options.ChartFile("--plot", "Write the per-epoch curves here, as .svg or .png (cost, accuracy and learning rate; training and held-out), the numbers beside it as CSV and, for classes, the confusion matrix and per-class precision/recall/F1 as NAME-confusion and NAME-classes");
        var checkpoint = Options.OutputFile("--checkpoint", "Save the network of the best epoch (by --monitor) here as it trains (MlNetDeep network file)");
        var log = Options.OutputFile("--log", "Append one CSV line per epoch here as it trains");
        var budget = Options.Int("--memory-budget", "MiB of decoded features kept in memory; past it every epoch streams them from the data (default 1024)", 1024, 1, 1 << 20);
        var workspace = new Option<string?>("--workspace") { Description = "A folder for pixel caches: images are decoded once and read back by row index (see WorkspacePath)" };
        var scenes = Options.Int("--scenes", "Generated training images for --task segmentation (a third as many are held out; default 600), --task detection (300 are held out; default 2000 for yolo, 1500 for two-stage) and --task landmarks (a quarter as many held out; default 1200)", 600, 16, 1_000_000);
        var segmentationData = Options.Choice("--data", "The images of --task segmentation (generated scenes, or crops of the coins photo, datasets/coins) and of --task detection (generated scenes, coins: YOLO on crops of the coins photo, or faces: a face/non-face CNN on the LFW subset slid over the astronaut photo)", "scenes", ["scenes", "coins", "faces"]);
        var filters = Options.Int("--filters", "First-level filters of the --task segmentation networks", 8, 1, 1024);
        var skip = new Option<bool>("--skip-unreadable") { Description = "Skip (and log) rows whose image is missing or corrupt instead of stopping" };
        var command = new Command("train", "Train a network on a CSV/TSV file, an image folder or MNIST inside an ML.NET pipeline; report held-out metrics; save the pipeline.")
        {
            dataset, label, features, task, model, hidden, epochs, batch, lr, keep, l2, smoothing, optimizer, schedule, init, seed, testFraction, imageSize, patience, monitor, save, plot, checkpoint, log,
            budget, workspace, skip, scenes, filters, segmentationData,
        };
        command.Validators.Add(r =>
        {
            if (r.GetResult(hidden) is not null && r.GetValue(model) is { } m && m != "mlp")
            {
                r.AddError($"--hidden sets the layers of --model mlp only; --model {m} has fixed layers.");
            }

            // The raw tokens: a value that failed its own parsing must not be read here (its parser has reported it).
            var segmentation = r.GetResult(task) is { Tokens.Count: > 0 } t && t.Tokens[^1].Value == "segmentation";
            if (r.GetResult(model) is { Tokens.Count: > 0 } m2 && m2.Tokens[^1].Value is var chosen
                && (TrainingRecipe.Models.Contains(chosen) || SegmentationTraining.Models.Contains(chosen))
                && SegmentationTraining.Models.Contains(chosen) != segmentation)
            {
                r.AddError(segmentation
                    ? $"--task segmentation trains one of {string.Join(", ", SegmentationTraining.Models)}; --model {chosen} classifies or regresses."
                    : $"--model {chosen} segments images: use it with --task segmentation.");
            }

            var detection = r.GetResult(task) is { Tokens.Count: > 0 } t2 && t2.Tokens[^1].Value == "detection";
            if (r.GetResult(segmentationData) is { Tokens.Count: > 0 } d && d.Tokens[^1].Value == "faces" && !detection)
            {
                r.AddError("--data faces detects faces in the astronaut photo: use it with --task detection.");
            }

            if (r.GetResult(model) is { Tokens.Count: > 0 } m3 && m3.Tokens[^1].Value is var picked
                && (TrainingRecipe.Models.Contains(picked) || SegmentationTraining.Models.Contains(picked) || DetectionTraining.Models.Contains(picked))
                && DetectionTraining.Models.Contains(picked) != detection)
            {
                r.AddError(detection
                    ? $"--task detection trains one of {string.Join(", ", DetectionTraining.Models)}; --model {picked} does not detect objects."
                    : $"--model {picked} detects objects: use it with --task detection.");
            }
        });
        command.SetAction(p =>
        {
            var path = p.GetValue(dataset) is { Length: > 0 } given ? given : DatasetPaths.Find("mnist");
            var taskName = p.GetValue(task)!;
            if (taskName == "segmentation")
            {
                // The generated scenes (datasets/README.md); --dataset is not read.
                return SegmentationTraining.Run(terminal, new SegmentationTraining.Settings(
                    p.GetValue(model) ?? "unet", p.GetValue(epochs), Given(p, batch) ? p.GetValue(batch) : 8, Given(p, lr) ? p.GetValue(lr) : 1e-2f,
                    Given(p, schedule) ? p.GetValue(schedule)! : "constant", p.GetValue(filters), p.GetValue(seed), SegmentationImageSize(p, imageSize, segmentationData), p.GetValue(scenes), p.GetValue(plot), p.GetValue(segmentationData)!));
            }

            if (taskName == "detection" && p.GetValue(segmentationData) == "faces")
            {
                // A face/non-face classifier on datasets/lfw-subset, slid over datasets/images/astronaut.png.
                return FaceDetection.Run(terminal, new FaceDetection.Settings(Given(p, epochs) ? p.GetValue(epochs) : 30, p.GetValue(seed), 0.5f, p.GetValue(plot)));
            }

            if (taskName == "detection")
            {
                // The generated scenes (datasets/README.md) through ML.NET's Yolo or FasterRcnn trainer; --dataset is not read.
                return DetectionTraining.Run(terminal, new DetectionTraining.Settings(
                    p.GetValue(model) ?? "yolo", Given(p, epochs) ? p.GetValue(epochs) : null, Given(p, batch) ? p.GetValue(batch) : null, Given(p, lr) ? p.GetValue(lr) : null,
                    p.GetValue(seed), Given(p, imageSize) ? p.GetValue(imageSize) : 64, Given(p, scenes) ? p.GetValue(scenes) : null, p.GetValue(plot), p.GetValue(save), p.GetValue(segmentationData)!));
            }

            if (taskName == "landmarks")
            {
                // The generated triangles (three landmarks each); --dataset is not read.
                return LandmarkTraining.Run(terminal, new LandmarkTraining.Settings(
                    p.GetValue(epochs), Given(p, batch) ? p.GetValue(batch) : 32, Given(p, lr) ? p.GetValue(lr) : 3e-3f, p.GetValue(seed),
                    Given(p, scenes) ? p.GetValue(scenes) : 1200));
            }

            if (taskName == "verification")
            {
                // One-shot verification on digits never seen in training (the MNIST folder's IDX files).
                return VerificationRun.Execute(
                    terminal, path, p.GetValue(seed), Given(p, epochs) ? p.GetValue(epochs) : null, Given(p, lr) ? p.GetValue(lr) : null, p.GetValue(plot));
            }

            var ml = new MLContext(seed: p.GetValue(seed));
            var data = UserDataset.Load(ml, path, new DatasetOptions
            {
                LabelColumn = p.GetValue(label)!,
                FeatureColumns = p.GetValue(features)?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries),
                Task = taskName == "auto" ? null : ExperimentRunnerTask(taskName),
                ImageSize = p.GetValue(imageSize),
                TestFraction = p.GetValue(testFraction),
                Seed = p.GetValue(seed),
            });
            var modelName = p.GetValue(model) ?? data.Kind switch { DatasetKind.Mnist => "lenet5", DatasetKind.ImageFolder => "small-convnet", _ => "mlp" };
            if (data.Kind == DatasetKind.Text && modelName is not ("mlp" or "logistic"))
            {
                throw new ArgumentException($"--model {modelName} reads images; for the columns of a table use mlp or logistic.");
            }

            var mlp = modelName == "mlp";
            var recipe = new TrainingRecipe
            {
                Model = modelName,
                Hidden = p.GetValue(hidden) is { Length: > 0 } layers ? layers : null,
                Epochs = p.GetValue(epochs),
                BatchSize = Given(p, batch) ? p.GetValue(batch) : mlp ? 64 : 32,
                LearningRate = p.GetValue(lr),
                KeepProbability = Given(p, keep) ? p.GetValue(keep) : mlp ? 0.9f : 0.8f,
                L2 = p.GetValue(l2),
                LabelSmoothing = p.GetValue(smoothing),
                Optimizer = p.GetValue(optimizer)!,
                Schedule = p.GetValue(schedule)!,
                Init = p.GetValue(init)!,
                Seed = p.GetValue(seed),
            };
            recipe.Validate();
            var metric = p.GetValue(monitor) == "val-accuracy" ? MonitoredMetric.ValidationAccuracy : MonitoredMetric.ValidationLoss;
            terminal.Line(data.Description);
            terminal.Line($"{recipe}");

            // Not cached: the trainer reads the rows into memory once within --memory-budget, and streams them past it.
            var preprocessing = data.CreatePreprocessing(ml).Fit(data.Train);
            var train = preprocessing.Transform(data.Train);
            var test = preprocessing.Transform(data.Test);
            var progress = new TrainingProgress(terminal, recipe.Epochs);
            var trainer = recipe.CreateTrainer(ml, data.Task, o =>
            {
                o.FeatureShape = data.FeatureShape;
                o.ValidationSet = test;
                o.MemoryBudget = (long)p.GetValue(budget) << 20;
                o.WorkspacePath = p.GetValue(workspace);
                o.SkipUnreadableRows = p.GetValue(skip);
                o.BatchProgressCallback = progress.Batch;
                o.ProgressCallback = progress.Epoch;
                o.EarlyStopping = p.GetValue(patience) is > 0 and var n ? new EarlyStopping { Patience = n, Monitor = metric } : null;
                if (p.GetValue(checkpoint) is { } file)
                {
                    o.Callbacks.Add(new ModelCheckpoint(file, metric));
                }

                if (p.GetValue(log) is { } csv)
                {
                    o.Callbacks.Add(new CsvLogger(csv));
                }
            });
            var clock = Stopwatch.StartNew();
            var network = progress.Run(() => trainer.Fit(train));
            var seconds = clock.Elapsed.TotalSeconds;
            var fitted = new TransformerChain<ITransformer>(preprocessing, network);
            if (network.History is { StopReason: { } reason })
            {
                terminal.Line($"stopped: {reason}; the network has the weights of epoch {network.History.BestEpoch}");
            }

            terminal.Line(string.Create(CultureInfo.InvariantCulture, $"trained in {seconds:F1} s; held-out rows:"));
            var classes = Metrics.Show(terminal, ml, network.Task, network.Transform(test));
            if (p.GetValue(save) is { } savePath)
            {
                ml.Model.SaveWithNetworks(fitted, data.Train.Schema, savePath);
                terminal.Line($"pipeline saved to {savePath}");
            }

            if (p.GetValue(plot) is { } plotPath && network.History is { } history)
            {
                var csvPath = Path.ChangeExtension(plotPath, ".csv");
                Plot.TrainingCurves(history, $"{modelName} on {Path.GetFileName(Path.TrimEndingDirectorySeparator(data.Path))}").Save(plotPath);
                CsvLogger.Write(history, csvPath);
                terminal.Line($"curves written to {plotPath} and {csvPath}");
                if (classes is not null)
                {
                    var (confusion, perClass) = (Beside(plotPath, "confusion"), Beside(plotPath, "classes"));
                    Plot.ConfusionMatrix(classes).Save(confusion);
                    Plot.ClassMetrics(classes).Save(perClass);
                    terminal.Line($"confusion matrix written to {confusion}, per-class scores to {perClass}");
                }
            }

            return 0;
        });
        return command;
    }

    // "run.svg" → "run-confusion.svg", in the same folder.
    private static string Beside(string path, string suffix) =>
        Path.Combine(Path.GetDirectoryName(path) ?? string.Empty, $"{Path.GetFileNameWithoutExtension(path)}-{suffix}{Path.GetExtension(path)}");

    private static bool Given<T>(ParseResult p, Option<T> option) => p.GetResult(option) is { Implicit: false };

    /// <summary>
    /// The side of --task segmentation's images: as given, else 64 for the generated scenes (FCN's stride-8 scores are then
    /// 8×8, where 32×32 scenes leave FCN-8s 4×4; README) and 32 for the coins crops.
    /// </summary>
    private static int SegmentationImageSize(ParseResult p, Option<int> imageSize, Option<string> data) =>
        Given(p, imageSize) ? p.GetValue(imageSize) : p.GetValue(data) == "scenes" ? 64 : 32;

    private static NeuralNetworkTask ExperimentRunnerTask(string name) => name switch
    {
        "binary" => NeuralNetworkTask.BinaryClassification,
        "regression" => NeuralNetworkTask.Regression,
        _ => NeuralNetworkTask.MulticlassClassification,
    };
}
