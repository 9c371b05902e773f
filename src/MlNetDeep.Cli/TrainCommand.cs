using System.Diagnostics;
using System.Globalization;
using MlNetDeep.Data;
using MlNetDeep.Initializers;
using MlNetDeep.Losses;
using MlNetDeep.Models;
using MlNetDeep.Optimizers;
using MlNetDeep.Schedules;
using MlNetDeep.Serialization;
using MlNetDeep.Training;
using Spectre.Console;

namespace MlNetDeep.Cli;

/// <summary><c>mlnetdeep train</c>: an MLP on MNIST, per-epoch progress, then test metrics.</summary>
internal static class TrainCommand
{
    public static int Run(Dictionary<string, string> o)
    {
        var epochs = o.Int("epochs", 10);
        var batch = o.Int("batch-size", 64);
        var lr = o.Float("lr", 5e-3f);
        var keep = o.Float("keep-prob", 0.9f);
        var seed = (ulong)o.Int("seed", 0);
        var hidden = (o.Text("hidden") ?? "256,128").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var dir = o.Text("data") ?? DatasetPaths.Find("mnist");
        var save = o.Text("save");
        var l2 = o.Float("l2", 1e-4f);
        var smoothing = o.Float("label-smoothing", 0.1f);
        var schedule = o.Text("schedule") ?? "one-cycle";
        Initializer? init = (o.Text("init") ?? "kaiming") switch
        {
            "kaiming" => null,
            "xavier" => new XavierUniform(),
            "fan-in" => new FanInUniform(),
            var other => throw new ArgumentException($"Unknown initialisation '{other}'; expected kaiming, xavier or fan-in."),
        };
        o.RejectUnknown();

        var train = Mnist.Load(dir, "train");
        var test = Mnist.Load(dir, "test");
        var net = DenseModels.Mlp(hidden, 10, Activation.ReLU, keep, init);
        AnsiConsole.MarkupLineInterpolated(
            $"[bold]MLP 784-{string.Join("-", hidden)}-10[/] on {train.Count} MNIST digits ({test.Count} held out): Adam {lr} ({schedule}), batch {batch}, keep_prob {keep}, seed {seed}");

        var options = new TrainingOptions
        {
            Loss = new SoftmaxCrossEntropy(smoothing),
            Optimizer = new Adam(lr),
            Schedule = schedule switch
            {
                "one-cycle" => new OneCycle(lr),
                "constant" => null,
                "cosine" => new CosineAnnealing(),
                _ => throw new ArgumentException($"Unknown schedule '{schedule}'; expected one-cycle, cosine or constant."),
            },
            Epochs = epochs,
            L2 = l2,
            BatchSize = batch,
            Seed = seed,
            EpochCompleted = e => Console.WriteLine(
                $"epoch {e.Epoch,2}  loss {e.TrainLoss:F4}  train acc {e.TrainAccuracy:P2}  test loss {e.ValidationLoss:F4}  test acc {e.ValidationAccuracy:P2}  lr {e.LearningRate:E2}  {e.Seconds:F2}s"),
        };

        var clock = Stopwatch.StartNew();
        var history = Trainer.Fit(net, train.Features, train.LabelTensor(), options, test.Features, test.LabelTensor());
        var seconds = clock.Elapsed.TotalSeconds;
        var report = ClassificationReport.Compute(test.Labels, Inference.PredictClasses(net, test.Features), test.ClassNames);

        AnsiConsole.WriteLine();
        AnsiConsole.WriteLine(report.ToString());
        Console.WriteLine(
            $"test accuracy {report.Accuracy:P2}  macro precision {report.MacroPrecision:P2}  macro recall {report.MacroRecall:P2}  macro F1 {report.MacroF1:P2}  ({history.Epochs.Count} epochs, {seconds:F1} s training)");
        if (save is not null)
        {
            WeightsFile.Save(net, save);
            AnsiConsole.MarkupLineInterpolated($"weights saved to {save}");
        }
        return 0;
    }
}
