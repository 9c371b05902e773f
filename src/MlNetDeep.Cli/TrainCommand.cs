using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Transforms;
using MlNetDeep.Data;
using MlNetDeep.Initializers;
using MlNetDeep.ML;
using MlNetDeep.Models;
using MlNetDeep.Schedules;

namespace MlNetDeep.Cli;

/// <summary><c>mlnetdeep train</c>: an MLP on MNIST through an ML.NET pipeline, per-epoch progress, then test metrics.</summary>
internal static class TrainCommand
{
    public static int Run(Dictionary<string, string> o)
    {
        var modelName = o.Text("model") ?? "lenet5";
        var mlp = modelName == "mlp";
        var epochs = o.Int("epochs", 10);

        // The recipes that reach ≥ 96 % (MLP) and ≥ 98 % (LeNet-5) on the held-out digits for every seed tried.
        var batch = o.Int("batch-size", mlp ? 64 : 32);
        var lr = o.Float("lr", 5e-3f);
        var keep = o.Float("keep-prob", mlp ? 0.9f : 0.8f);
        var seed = (ulong)o.Int("seed", 0);
        var hidden = (o.Text("hidden") ?? "256,128").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var dir = o.Text("data") ?? DatasetPaths.Find("mnist");
        var save = o.Text("save");
        var l2 = o.Float("l2", 1e-4f);
        var smoothing = o.Float("label-smoothing", 0.1f);
        var schedule = o.Text("schedule") ?? "one-cycle";
        var shift = o.Int("shift", 0);
        Initializer? init = (o.Text("init") ?? "kaiming") switch
        {
            "kaiming" => null,
            "xavier" => new XavierUniform(),
            "fan-in" => new FanInUniform(),
            var other => throw new ArgumentException($"Unknown initialisation '{other}'; expected kaiming, xavier or fan-in."),
        };
        o.RejectUnknown();

        var ml = new MLContext(seed: (int)seed);
        var train = Mnist.Load(dir, "train");
        var test = Mnist.Load(dir, "test");
        var trainView = train.ToDataView(ml);
        var testView = test.ToDataView(ml);
        Console.WriteLine(
            $"{(modelName == "mlp" ? $"MLP 784-{string.Join("-", hidden)}-10" : modelName)} on {train.Count} MNIST digits ({test.Count} held out) through an ML.NET pipeline: Adam {lr} ({schedule}), batch {batch}, keep_prob {keep}, {(shift > 0 ? $"±{shift} px shifts, " : string.Empty)}seed {seed}");

        // Keys ordered by value, so key k is digit k − 1 in both the pipeline and the validation set.
        var labels = ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue);
        // ±shift-pixel translations of every training digit, fresh each epoch (none when scoring).
        IEstimator<ITransformer> prefix = labels;
        if (shift > 0)
        {
            prefix = prefix.Append(ml.Transforms.RandomTranslation("Features", shift, shift));
        }

        var pipeline = prefix.Append(ml.MulticlassClassification.Trainers.NeuralNetwork(new NeuralNetworkMulticlassTrainer.Options
            {
                Network = modelName switch
                {
                    "mlp" => NetworkArchitecture.Mlp(hidden, Activation.ReLU, keep, init),
                    "lenet5" => NetworkArchitecture.LeNet5(keepProbability: keep),
                    "lenet5-bn" => NetworkArchitecture.LeNet5(batchNorm: true, keepProbability: keep),
                    "lenet5-classic" => NetworkArchitecture.LeNet5Classic(),
                    "inception" => NetworkArchitecture.SmallInception(),
                    _ => throw new ArgumentException($"Unknown model '{modelName}'; expected mlp, lenet5, lenet5-bn, lenet5-classic or inception."),
                },
                LearningRate = lr,
                Schedule = schedule switch
                {
                    "one-cycle" => new OneCycle(lr),
                    "constant" => null,
                    "cosine" => new CosineAnnealing(),
                    _ => throw new ArgumentException($"Unknown schedule '{schedule}'; expected one-cycle, cosine or constant."),
                },
                NumberOfEpochs = epochs,
                BatchSize = batch,
                Seed = (int)seed,
                L2Regularization = l2,
                LabelSmoothing = smoothing,
                ValidationSet = labels.Fit(trainView).Transform(testView),
                ProgressCallback = e => Console.WriteLine(
                    $"epoch {e.Epoch,2}  loss {e.TrainLoss:F4}  train acc {e.TrainAccuracy:P2}  test loss {e.ValidationLoss:F4}  test acc {e.ValidationAccuracy:P2}  lr {e.LearningRate:E2}  {e.Seconds:F2}s"),
            }));

        var clock = Stopwatch.StartNew();
        var model = pipeline.Fit(trainView);
        var seconds = clock.Elapsed.TotalSeconds;
        var scored = model.Transform(testView);
        var report = ml.MulticlassClassification.EvaluateWithReport(scored);

        Console.WriteLine();
        Console.WriteLine(report.ToString());
        Console.WriteLine(
            $"test accuracy {report.Accuracy:P2}  macro precision {report.MacroPrecision:P2}  macro recall {report.MacroRecall:P2}  macro F1 {report.MacroF1:P2}  ({epochs} epochs, {seconds:F1} s training)");
        if (save is not null)
        {
            ml.Model.SaveWithNetworks(model, trainView.Schema, save);
            Console.WriteLine($"pipeline saved to {save}");
        }

        return 0;
    }
}
