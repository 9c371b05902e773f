using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.ML;
using MlNetDeep.Onnx.Internal;

namespace MlNetDeep.Onnx;

/// <summary>
/// Converts a fitted pipeline that contains MlNetDeep stages into one that stock ML.NET saves with
/// <c>mlContext.Model.Save</c> and loads with <c>mlContext.Model.Load</c> in an application that references only Microsoft.ML,
/// Microsoft.ML.OnnxTransformer and Microsoft.ML.OnnxRuntime (what PredictionEnginePool and Model Builder's generated code
/// expect). ML.NET's own transformers are kept as they are; each MlNetDeep image step becomes <c>ApplyOnnxModel</c> of its
/// scoring form (centre crop, fitted normalisation; random steps are the identity); each network becomes
/// <c>ApplyOnnxModel</c> of the network followed by ML.NET's own scorer of its task (softmax and argmax into a PredictedLabel
/// key with the label's KeyValues; the logit, its calibrated Probability and PredictedLabel; the value). The output columns
/// keep MlNetDeep's names and types.
/// </summary>
public static class StockMlNet
{
    private const string TemporaryPrefix = "MlNetDeep.Stock.";

    /// <summary>Converts <paramref name="model"/>, fitted on data of <paramref name="inputData"/>'s schema.</summary>
    /// <param name="mlContext">The context whose catalogs build the stock transformers.</param>
    /// <param name="model">A fitted pipeline (a transformer chain, or one transformer).</param>
    /// <param name="inputData">Data of the schema the pipeline was fitted on (no rows are read).</param>
    /// <returns>A transformer chain of stock ML.NET transformers; save it with <c>mlContext.Model.Save(result, inputData.Schema, path)</c>.</returns>
    /// <exception cref="NotSupportedException">A stage cannot be converted (a layer without an ONNX exporter, an AlwaysRandom
    /// image step); the message names the stage.</exception>
    public static TransformerChain<ITransformer> ConvertToStockMlNet(this MLContext mlContext, ITransformer model, IDataView inputData)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputData);
        var result = new List<ITransformer>();
        var data = inputData;
        var index = 0;
        foreach (var stage in Flatten(model))
        {
            var converted = stage switch
            {
                NeuralNetworkTransformer network => Network(mlContext, network, data, index),
                ImageAugmentationTransformer image => Image(mlContext, image, data, index),
                _ when stage.GetType().Assembly.GetName().Name?.StartsWith("MlNetDeep", StringComparison.Ordinal) == true =>
                    throw new NotSupportedException($"Stage {index} ({stage.GetType().Name}) is an MlNetDeep transformer the stock ML.NET conversion does not know."),
                _ => [stage],
            };
            foreach (var transformer in converted)
            {
                result.Add(transformer);
                data = transformer.Transform(data);
            }

            index++;
        }

        return new TransformerChain<ITransformer>([.. result]);
    }

    /// <summary>Converts <paramref name="model"/>, fitted on data of <paramref name="inputSchema"/> (such as the schema
    /// <c>LoadWithNetworks</c> returns).</summary>
    /// <param name="mlContext">The context whose catalogs build the stock transformers.</param>
    /// <param name="model">A fitted pipeline.</param>
    /// <param name="inputSchema">The schema the pipeline was fitted on.</param>
    /// <returns>A transformer chain of stock ML.NET transformers.</returns>
    public static TransformerChain<ITransformer> ConvertToStockMlNet(this MLContext mlContext, ITransformer model, DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        return ConvertToStockMlNet(mlContext, model, new SchemaOnlyDataView(inputSchema));
    }

    private static IEnumerable<ITransformer> Flatten(ITransformer model)
    {
        if (model is IEnumerable<ITransformer> chain)
        {
            foreach (var inner in chain.SelectMany(Flatten))
            {
                yield return inner;
            }
        }
        else
        {
            yield return model;
        }
    }

    private static List<ITransformer> Image(MLContext ml, ImageAugmentationTransformer step, IDataView data, int index)
    {
        var where = $"Stage {index} (the image step writing '{step.OutputColumnName}')";
        var inputType = (VectorDataViewType)data.Schema[step.InputColumnName].Type;
        var outputType = (VectorDataViewType)step.GetOutputSchema(data.Schema)[step.OutputColumnName].Type;
        var temporary = $"{TemporaryPrefix}{index}.input";
        byte[] bytes;
        try
        {
            bytes = ScoringGraphs.ImageStep(step, temporary, step.OutputColumnName, [.. inputType.Dimensions], [.. outputType.Dimensions]);
        }
        catch (NotSupportedException e)
        {
            throw new NotSupportedException($"{where} cannot be converted to stock ML.NET: {e.Message}", e);
        }

        // ONNX names a graph's input and output apart, and the step often overwrites the column it reads: read a copy.
        var estimator = ml.Transforms.CopyColumns(temporary, step.InputColumnName)
            .Append(ml.Transforms.ApplyOnnxModel([step.OutputColumnName], [temporary], new MemoryStream(bytes)))
            .Append(ml.Transforms.DropColumns(temporary));
        return [.. Flatten(estimator.Fit(data))];
    }

    private static List<ITransformer> Network(MLContext ml, NeuralNetworkTransformer model, IDataView data, int index)
    {
        var where = $"Stage {index} (the {model.Task} network reading '{model.FeatureColumnName}')";
        if (data.Schema[model.FeatureColumnName].Type is not VectorDataViewType features)
        {
            throw new NotSupportedException($"{where} reads a scalar column; the stock ML.NET conversion needs a vector features column.");
        }

        var input = $"{TemporaryPrefix}{index}.features";
        var outputs = $"{TemporaryPrefix}{index}.outputs";
        byte[] bytes;
        try
        {
            bytes = ScoringGraphs.Network(model, input, [.. features.Dimensions], outputs);
        }
        catch (NotSupportedException e)
        {
            throw new NotSupportedException($"{where} cannot be converted to stock ML.NET: {e.Message}", e);
        }

        // ONNX gives the network's outputs; ML.NET's own scorer of the task adds Score, PredictedLabel and Probability.
        var onnx = ml.Transforms.CopyColumns(input, model.FeatureColumnName)
            .Append(ml.Transforms.ApplyOnnxModel([outputs], [input], new MemoryStream(bytes)))
            .Fit(data);
        var scored = onnx.Transform(data);
        var added = model.GetOutputSchema(data.Schema).Skip(data.Schema.Count).ToArray();
        var scorer = model.Task switch
        {
            NeuralNetworkTask.MulticlassClassification => StockScorers.Multiclass(
                ml, scored.Schema, outputs, model.OutputCount, added.Single(c => c.Name == model.PredictedLabelColumnName)),
            NeuralNetworkTask.BinaryClassification => StockScorers.Binary(ml, scored.Schema, outputs),
            _ => StockScorers.Regression(ml, scored.Schema, outputs),
        };

        // ML.NET's scorers name their columns Score, Probability and PredictedLabel; the transformer may have been given others.
        string[] standard = model.Task switch
        {
            NeuralNetworkTask.MulticlassClassification => ["Score", "PredictedLabel"],
            NeuralNetworkTask.BinaryClassification => ["Score", "Probability", "PredictedLabel"],
            _ => ["Score"],
        };
        var renamed = standard.Zip(added.Select(c => c.Name)).Where(p => p.First != p.Second).ToArray();
        IEstimator<ITransformer> tail = new EstimatorChain<ITransformer>();
        foreach (var (from, to) in renamed)
        {
            tail = tail.Append(ml.Transforms.CopyColumns(to, from));
        }

        tail = tail.Append(ml.Transforms.DropColumns([input, outputs, .. renamed.Select(p => p.First).Except(added.Select(c => c.Name))]));

        var drop = tail.Fit(scorer.Transform(scored));
        return [.. Flatten(onnx), scorer, .. Flatten(drop)];
    }
}
