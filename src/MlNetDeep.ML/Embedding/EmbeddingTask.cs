using Microsoft.ML;
using Microsoft.ML.Runtime;
using MlNetDeep.Layers;
using MlNetDeep.Layers.Embedding;
using MlNetDeep.Losses;
using MlNetDeep.Losses.Metric;
using MlNetDeep.ML.Internal;
using MlNetDeep.Models;
using MlNetDeep.Training;

namespace MlNetDeep.ML;

/// <summary>What the embedding task adds to the shared trainer core: its network, loss and P×K batches.</summary>
internal static class EmbeddingTask
{
    /// <summary>d, checked.</summary>
    public static int Dimension(NeuralNetworkEmbeddingTrainer.Options options)
    {
        if (options.EmbeddingDimension < 1)
        {
            throw new ArgumentOutOfRangeException(
                nameof(options), options.EmbeddingDimension, $"{nameof(options.EmbeddingDimension)} must be at least 1; got {options.EmbeddingDimension}.");
        }

        return options.EmbeddingDimension;
    }

    /// <summary>The MLP of <see cref="NeuralNetworkOptions.HiddenLayers"/> (with its activation) and then the <see cref="EmbeddingHead"/>.</summary>
    public static Layer DefaultNetwork(NeuralNetworkOptions options, int dimension)
    {
        var embedding = (NeuralNetworkEmbeddingTrainer.Options)options;
        var network = new Sequential { Name = $"Encoder({string.Join("-", options.HiddenLayers)}-{dimension})" };
        if (options.HiddenLayers.Length > 0)
        {
            network.Add(DenseModels.Mlp(options.HiddenLayers[..^1], options.HiddenLayers[^1], options.Activation, options.KeepProbability));
            network.Add(DenseModels.CreateActivation(options.Activation));
        }

        network.Add(new EmbeddingHead(dimension, embedding.NormalizeEmbedding));
        return network;
    }

    public static Loss Loss(NeuralNetworkEmbeddingTrainer.Options options) => new TripletLoss(options.Margin, options.Mining);

    /// <summary>The P×K sampler over the identities of the rows of <paramref name="rows"/> (read from the label column by view row).</summary>
    public static PkBatchSampler Sampler(NeuralNetworkEmbeddingTrainer.Options options, IDataView input, BatchSource rows, IChannel channel)
    {
        if (!rows.HasRandomAccess)
        {
            throw new InvalidOperationException(
                $"The embedding trainer draws P×K mini-batches by row index, but the training rows ({rows.Rows:N0}) exceed the memory budget and are streamed. "
                + $"Raise {nameof(NeuralNetworkOptions.MemoryBudget)} or set {nameof(NeuralNetworkOptions.WorkspacePath)} for a pixel cache.");
        }

        var labels = DataViewInput.ReadTargets(
            input, new LabelTargetReader(options.LabelColumnName, NeuralNetworkTask.Embedding), "training", new ReadSettings(false, options.CancellationToken, channel));
        var map = (IViewRowMap)rows;
        var identities = new int[rows.Rows];
        for (var r = 0; r < identities.Length; r++)
        {
            identities[r] = (int)labels[map.ViewRow(r)];
        }

        return new PkBatchSampler(identities, options.IdentitiesPerBatch, options.ExamplesPerIdentity);
    }
}
