using System.CommandLine;
using Microsoft.ML;

namespace MlNetDeep.Cli.Commands;

/// <summary><c>mlnetdeep evaluate</c>: a saved pipeline's metrics on labelled rows.</summary>
internal static class EvaluateCommand
{
    public static Command Create(Terminal terminal)
    {
        var model = Options.InputPath("--model", "A pipeline saved by train --save (or best.mlnetdeep of an experiment)", required: true);
        var dataset = Options.InputPath("--dataset", "Labelled rows: a CSV/TSV file with the columns the model was trained on, an MNIST folder (its test files) or an image folder", required: true);
        var command = new Command("evaluate", "Score labelled rows with a saved pipeline and report its metrics.") { model, dataset };
        command.SetAction(p =>
        {
            var ml = new MLContext(seed: 0);
            var saved = SavedModel.Load(ml, p.GetValue(model)!);
            var scored = saved.Pipeline.Transform(saved.Read(ml, p.GetValue(dataset)!, Console.In));
            terminal.Line($"{saved.Network.Network.Name} ({saved.Network.Task}) on {p.GetValue(dataset)}:");
            Metrics.Show(terminal, ml, saved.Network.Task, scored, saved.Network.ScoreColumnName, saved.Network.PredictedLabelColumnName);
            return 0;
        });
        return command;
    }
}
