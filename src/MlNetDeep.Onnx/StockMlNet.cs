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
/// key with the label's KeyValues; the logit, its calibrated Probability and PredictedLabel; the value). The network reads
/// the features column it was trained on, and its output columns keep the names the trainer was given (ScoreColumnName,
/// PredictedLabelColumnName, ProbabilityColumnName) and MlNetDeep's types; a column of the input that ML.NET's standard
/// names would otherwise hide (an earlier network's Score) stays visible, as it does in the MlNetDeep pipeline.
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

        // ML.NET's scorers write Score, Probability and PredictedLabel; the transformer may have been given other names.
        (string Standard, string Name)[] names = model.Task switch
        {
            NeuralNetworkTask.MulticlassClassification => [("Score", model.ScoreColumnName), ("PredictedLabel", model.PredictedLabelColumnName)],
            NeuralNetworkTask.BinaryClassification =>
                [("Score", model.ScoreColumnName), ("Probability", model.ProbabilityColumnName), ("PredictedLabel", model.PredictedLabelColumnName)],
            _ => [("Score", model.ScoreColumnName)],
        };
        var renamed = names.Any(n => n.Standard != n.Name);

        // A column of the input that a standard name would hide for good (the Score of an earlier network when this one
        // writes Score2) is set aside before the scorer and put back after it, as MlNetDeep's transformer leaves it visible.
        var finals = names.Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        var kept = names.Select(n => n.Standard)
            .Where(standard => renamed && !finals.Contains(standard) && data.Schema.GetColumnOrNull(standard) is { IsHidden: false })
            .ToArray();
        string Kept(string standard) => $"{TemporaryPrefix}{index}.kept.{standard}";
        string Moved(string standard) => $"{TemporaryPrefix}{index}.scored.{standard}";

        // ONNX gives the network's outputs; ML.NET's own scorer of the task adds Score, PredictedLabel and Probability.
        IEstimator<ITransformer> head = new EstimatorChain<ITransformer>();
        foreach (var standard in kept)
        {
            head = head.Append(ml.Transforms.CopyColumns(Kept(standard), standard));
        }

        var onnx = head.Append(ml.Transforms.CopyColumns(input, model.FeatureColumnName))
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

        // Renaming goes through temporaries, so that names that trade places (Score written as PredictedLabel and the other
        // way round) do not read a column already overwritten.
        IEstimator<ITransformer> tail = new EstimatorChain<ITransformer>();
        var dropped = new List<string> { input, outputs };
        if (renamed)
        {
            foreach (var (standard, _) in names)
            {
                tail = tail.Append(ml.Transforms.CopyColumns(Moved(standard), standard));
            }

            foreach (var (standard, name) in names)
            {
                tail = tail.Append(ml.Transforms.CopyColumns(name, Moved(standard)));
            }

            foreach (var standard in kept)
            {
                tail = tail.Append(ml.Transforms.CopyColumns(standard, Kept(standard)));
            }

            dropped.AddRange(names.Select(n => Moved(n.Standard)));
            dropped.AddRange(kept.Select(Kept));
            dropped.AddRange(names.Select(n => n.Standard).Where(standard => !finals.Contains(standard) && !kept.Contains(standard)));
        }

        tail = tail.Append(ml.Transforms.DropColumns([.. dropped]));
        var drop = tail.Fit(scorer.Transform(scored));
        return [.. Flatten(onnx), scorer, .. Flatten(drop)];
    }
}
