using System.Globalization;
using MlNetDeep.Charts;
using MlNetDeep.Data;
using MlNetDeep.Verification;

namespace MlNetDeep.Cli.Commands;

/// <summary>
/// <c>mlnetdeep train --task verification</c>: the one-shot experiment of <see cref="OneShotExperiment"/> on MNIST (an encoder
/// trained with the triplet loss on digits 0–6; digits 7, 8, 9 enrolled from one example each), ending with the line
/// <c>AUC v TAR@FAR=1% v one-shot accuracy v</c>; <c>--plot</c> draws the held-out encodings by PCA.
/// </summary>
internal static class VerificationRun
{
    public static int Execute(Terminal terminal, string mnistFolder, int seed, int? epochs, float? learningRate, string? plotPath)
    {
        var train = Mnist.Load(mnistFolder, "train");
        var test = Mnist.Load(mnistFolder, "test");
        var options = new OneShotOptions { Seed = (ulong)seed };
        if (epochs is { } e)
        {
            options.Epochs = e;
        }

        if (learningRate is { } lr)
        {
            options.LearningRate = lr;
        }

        var ci = CultureInfo.InvariantCulture;
        terminal.Line($"one-shot verification on MNIST ({mnistFolder}): encoder trained on digits {string.Join(", ", options.TrainingIdentities)}; "
            + $"digits {string.Join(", ", options.NewIdentities)} enrolled from one example each");
        terminal.Line(string.Create(ci,
            $"triplet loss α = {options.Margin}, {options.Mining} mining, P×K = {options.IdentitiesPerBatch}×{options.ExamplesPerIdentity}, d = {options.Dimension}, {options.Epochs} epochs, seed {seed}"));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = OneShotExperiment.Run(train, test, options, epoch =>
            terminal.Line(string.Create(ci, $"epoch {epoch.Epoch}/{options.Epochs}: triplet loss {epoch.TrainLoss:F4}, {epoch.Seconds:F1} s")));
        terminal.Line(string.Create(ci, $"trained and evaluated in {clock.Elapsed.TotalSeconds:F1} s"));
        terminal.Line(string.Create(ci, $"seen digits (other test images): AUC {result.ValidationAuc:F4}"));
        terminal.Line(string.Create(ci,
            $"threshold τ = {result.Threshold:F4} chosen on seen-digit pairs for FAR {options.FalseAcceptRate:P0}: on the new digits FAR {result.FalseAcceptRateAtThreshold:P2}, TAR {result.TrueAcceptRateAtThreshold:P2}"));
        terminal.Line(string.Create(ci,
            $"softmax classifier retrained with one example of each new digit (the seed's rejected design): accuracy {result.BaselineAccuracy:F4} on the same images"));
        if (plotPath is not null)
        {
            var names = result.Identities.Select(i => i.ToString(ci)).ToArray();
            Plot.EncodingProjection(result.Encodings, names, "encodings of held-out digits 7, 8, 9 (PCA)").Save(plotPath);
            terminal.Line($"encodings written to {plotPath}");
        }

        terminal.Line(result.Summary(options.FalseAcceptRate));
        return 0;
    }
}
