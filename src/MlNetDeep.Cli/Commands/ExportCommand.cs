using System.CommandLine;
using Microsoft.ML;
using MlNetDeep.ML;
using MlNetDeep.Onnx;

namespace MlNetDeep.Cli.Commands;

/// <summary><c>mlnetdeep export</c>: a saved pipeline for serving without MlNetDeep, as stock ML.NET (the pipeline) or ONNX (the network).</summary>
internal static class ExportCommand
{
    public static Command Create(Terminal terminal)
    {
        var model = Options.InputPath("--model", "A pipeline saved by train --save", required: true);
        var format = Options.Choice("--format", "mlnet: the whole pipeline for stock ML.NET (mlContext.Model.Load, PredictionEnginePool); onnx: the network alone for ONNX Runtime", null, ["onnx", "mlnet"]);
        format.Required = true;
        var output = Options.OutputFile("--output", "The file to write");
        output.Required = true;
        var command = new Command("export", "Convert a saved pipeline for serving where MlNetDeep is not referenced.") { model, format, output };
        command.SetAction(p =>
        {
            var ml = new MLContext(seed: 0);
            var saved = SavedModel.Load(ml, p.GetValue(model)!);
            var path = p.GetValue(output)!;
            if (p.GetValue(format) == "mlnet")
            {
                ml.Model.Save(ml.ConvertToStockMlNet(saved.Pipeline, saved.InputSchema), saved.InputSchema, path);
                terminal.Line($"pipeline written to {path} for stock ML.NET (Microsoft.ML, Microsoft.ML.OnnxTransformer, Microsoft.ML.OnnxRuntime)");
                return 0;
            }

            var network = saved.Network;
            OnnxExport.Save(network.Network, path, new OnnxExportOptions
            {
                InputName = network.FeatureColumnName,
                OutputName = network.ScoreColumnName,
                Head = network.Task == NeuralNetworkTask.MulticlassClassification ? OnnxOutputHead.Softmax : OnnxOutputHead.None,
                FlatInput = true,
            });
            terminal.Line(
                $"network '{network.Network.Name}' written to {path}: ONNX opset {OnnxExport.OpsetVersion}, input '{network.FeatureColumnName}' " +
                $"[N, {network.FeatureShape.Aggregate(1, (a, d) => a * d)}] (after the pipeline's other steps), output '{network.ScoreColumnName}'");
            return 0;
        });
        return command;
    }
}
