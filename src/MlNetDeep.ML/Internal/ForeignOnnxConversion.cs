using System.Diagnostics;

namespace MlNetDeep.ML.Internal;

/// <summary>
/// Refuses ML.NET's own ONNX converter (<c>mlContext.Model.ConvertToOnnx</c> of Microsoft.ML.OnnxConverter) at an MlNetDeep
/// step. That converter knows only ML.NET's transformers: at any other step it stops with a warning on a channel nobody
/// reads and writes a graph of Identity nodes that takes the step's outputs as inputs — a file without the network that
/// "succeeds". A user would ship it; an exception that names the right tool is kinder.
/// </summary>
internal static class ForeignOnnxConversion
{
    private const string ConverterType = "Microsoft.ML.OnnxExportExtensions";

    /// <summary>Whether ML.NET's ONNX converter is what called this Transform.</summary>
    public static bool IsConverting()
    {
        // The converter offers no hook (ITransformCanSaveOnnx is internal to ML.NET) and calls Transform once before its walk,
        // so its frame on the stack is the only sign. Transform runs once per data view, never per row: the walk is cheap.
        foreach (var frame in new StackTrace(1, false).GetFrames())
        {
            if (frame.GetMethod()?.DeclaringType?.FullName == ConverterType)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The error that names <paramref name="step"/> and the tools that do convert it.</summary>
    public static NotSupportedException Refusal(string step) => new(
        $"mlContext.Model.ConvertToOnnx cannot convert {step}: ML.NET's converter knows only ML.NET's own transformers " +
        "and would write a graph of Identity nodes without the network. Use MlNetDeep.Onnx instead: " +
        "OnnxExport.Save(transformer.Network, path) writes the network as ONNX, and mlContext.ConvertToStockMlNet(model, data) " +
        "gives a pipeline that stock ML.NET saves with mlContext.Model.Save and loads with mlContext.Model.Load.");
}
