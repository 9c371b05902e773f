using System.Runtime.CompilerServices;
using MlNetDeep.Layers;

namespace MlNetDeep.Training;

/// <summary>
/// Runs a trained network in inference mode (dropout off, batch-norm running statistics), a batch at a time through
/// the network's <see cref="BatchPredictor"/> (kept while the network lives).
/// </summary>
public static class Inference
{
    private static readonly ConditionalWeakTable<Layer, BatchPredictor> Predictors = new();

    /// <summary>Computes the network's outputs for every row of <paramref name="features"/>.</summary>
    /// <param name="network">A built network.</param>
    /// <param name="features">Inputs, [N, ...] matching the network's input shape.</param>
    /// <param name="batchSize">Rows per forward pass.</param>
    /// <returns>The outputs, [N, ..OutputShape].</returns>
    public static Tensor Predict(Layer network, Tensor features, int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(features);
        Span<int> shape = stackalloc int[network.OutputShape.Length + 1];
        shape[0] = features.Rows;
        network.OutputShape.CopyTo(shape[1..]);
        var result = new Tensor(shape.ToArray());
        var width = result.RowSize;
        ForEachBatch(network, features, batchSize, (output, start) => output.Span.CopyTo(result.Data.AsSpan(start * width)));
        return result;
    }

    /// <summary>
    /// The predicted class of every row: the argmax of the outputs, or output &gt; 0 for a single logit; −1 (no
    /// prediction) for a row whose outputs are NaN or infinite, such as from a diverged network.
    /// </summary>
    public static int[] PredictClasses(Layer network, Tensor features, int batchSize = 256)
    {
        var outputs = Predict(network, features, batchSize);
        var k = outputs.RowSize;
        var classes = new int[outputs.Rows];
        for (var r = 0; r < classes.Length; r++)
        {
            classes[r] = k == 1 ? (float.IsFinite(outputs[r]) ? (outputs[r] > 0 ? 1 : 0) : -1) : Metrics.ArgMax(outputs.Row(r));
        }

        return classes;
    }

    internal static void ForEachBatch(Layer network, Tensor features, int batchSize, Action<Tensor, int> onBatch)
    {
        if (!network.IsBuilt)
        {
            throw new InvalidOperationException($"Network '{network.Name}' is not built or trained yet.");
        }

        if (batchSize <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be positive.");
        }

        Trainer.CheckInputShape(network, features.Rows, features.Shape[1..].ToArray(), "input");
        var bad = features.IndexOfNonFinite();
        if (bad >= 0)
        {
            throw new ArgumentException(
                $"The input holds {features[bad]} at row {bad / features.RowSize}, column {bad % features.RowSize}; every value must be finite.");
        }

        var predictor = PredictorOf(network);
        for (var start = 0; start < features.Rows; start += batchSize)
        {
            var count = Math.Min(batchSize, features.Rows - start);
            onBatch(predictor.Run(features, start, count), start);
        }
    }

    /// <summary>
    /// The network's <see cref="BatchPredictor"/>, kept while the network lives so that repeated calls reuse its
    /// copies; a new one if the network was rebuilt for other shapes since.
    /// </summary>
    private static BatchPredictor PredictorOf(Layer network)
    {
        if (!Predictors.TryGetValue(network, out var predictor) || !predictor.Fits())
        {
            predictor = new BatchPredictor(network);
            Predictors.AddOrUpdate(network, predictor);
        }

        return predictor;
    }
}
