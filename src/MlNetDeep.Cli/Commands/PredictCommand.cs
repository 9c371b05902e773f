using System.CommandLine;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.ML;

namespace MlNetDeep.Cli.Commands;

/// <summary><c>mlnetdeep predict</c>: a saved pipeline's predictions for rows, as CSV.</summary>
internal static class PredictCommand
{
    public static Command Create(Terminal terminal)
    {
        var model = Options.InputPath("--model", "A pipeline saved by train --save (or best.mlnetdeep of an experiment)", required: true);
        var dataset = Options.InputPath("--dataset", "Rows to predict: a CSV/TSV file (the label column may be absent), an image folder, an MNIST folder, or - for CSV on standard input", required: true, stdin: true);
        var output = Options.OutputFile("--out", "Write the CSV here instead of standard output");
        var command = new Command("predict", "Predict rows with a saved pipeline; writes CSV: row, the predicted label, then the scores (one per class, named by class).") { model, dataset, output };
        command.SetAction(p =>
        {
            var ml = new MLContext(seed: 0);
            var saved = SavedModel.Load(ml, p.GetValue(model)!);
            var scored = saved.Pipeline.Transform(saved.Read(ml, p.GetValue(dataset)!, Console.In));
            if (p.GetValue(output) is { } path)
            {
                using var file = new StreamWriter(path);
                Write(scored, saved.Network, file);
                terminal.Line($"predictions written to {path}");
            }
            else
            {
                Write(scored, saved.Network, terminal.Output);
            }

            return 0;
        });
        return command;
    }

    private static void Write(IDataView scored, NeuralNetworkTransformer network, TextWriter output)
    {
        var score = scored.Schema[network.ScoreColumnName];
        var ci = CultureInfo.InvariantCulture;
        switch (network.Task)
        {
            case NeuralNetworkTask.MulticlassClassification:
            {
                var predicted = scored.Schema[network.PredictedLabelColumnName];
                VBuffer<ReadOnlyMemory<char>> names = default;
                if (score.HasSlotNames())
                {
                    score.GetSlotNames(ref names);
                }

                var classes = names.DenseValues().Select(n => n.ToString()).ToArray();
                if (classes.Length != network.OutputCount)
                {
                    classes = [.. Enumerable.Range(0, network.OutputCount).Select(i => i.ToString(ci))];
                }

                output.WriteLine(string.Join(',', ["row", "PredictedLabel", .. classes.Select(c => $"Score_{c}")]));
                using var cursor = scored.GetRowCursor([score, predicted]);
                var getScore = cursor.GetGetter<VBuffer<float>>(score);
                var getKey = cursor.GetGetter<uint>(predicted);
                VBuffer<float> s = default;
                uint key = 0;
                var row = 0;
                while (cursor.MoveNext())
                {
                    getScore(ref s);
                    getKey(ref key);
                    var label = key == 0 ? string.Empty : classes[key - 1];
                    output.WriteLine(string.Join(',', [row++.ToString(ci), label, .. s.DenseValues().Select(v => v.ToString("G6", ci))]));
                }

                break;
            }

            case NeuralNetworkTask.BinaryClassification:
            {
                var predicted = scored.Schema[network.PredictedLabelColumnName];
                var probability = scored.Schema.Single(c => c.Index > predicted.Index - 2 && c.Type == NumberDataViewType.Single && c.Name != score.Name && c.Index > score.Index);
                output.WriteLine($"row,PredictedLabel,Score,{probability.Name}");
                using var cursor = scored.GetRowCursor([score, predicted, probability]);
                var getScore = cursor.GetGetter<float>(score);
                var getLabel = cursor.GetGetter<bool>(predicted);
                var getProbability = cursor.GetGetter<float>(probability);
                float s = 0, pr = 0;
                var b = false;
                var row = 0;
                while (cursor.MoveNext())
                {
                    getScore(ref s);
                    getLabel(ref b);
                    getProbability(ref pr);
                    output.WriteLine(string.Create(ci, $"{row++},{(b ? "true" : "false")},{s:G6},{pr:G6}"));
                }

                break;
            }

            default:
            {
                output.WriteLine("row,Score");
                using var cursor = scored.GetRowCursor([score]);
                var getScore = cursor.GetGetter<float>(score);
                float s = 0;
                var row = 0;
                while (cursor.MoveNext())
                {
                    getScore(ref s);
                    output.WriteLine(string.Create(ci, $"{row++},{s:G6}"));
                }

                break;
            }
        }
    }
}
