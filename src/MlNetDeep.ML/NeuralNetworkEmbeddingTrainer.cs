using Microsoft.ML.Runtime;
using MlNetDeep.Losses.Metric;

namespace MlNetDeep.ML;

/// <summary>
/// Trains the encoder f(x) of a Siamese network (seed 001, course 4 week 4): features and an identity label (a key) in, an
/// <c>Embedding</c> column (d Single) out, trained with the triplet loss on mini-batches of P identities × K examples. It
/// composes after image steps like the other trainers. Create it with <c>mlContext.Transforms.NeuralNetworkEmbedding(...)</c>;
/// compare encodings with <see cref="VerificationScorer"/>.
/// </summary>
/// <remarks>
/// The training rows must be read into memory or a pixel cache (a P×K batch is drawn by row index), and every identity needs at
/// least two examples (an anchor and a positive). <see cref="NeuralNetworkOptions.BatchSize"/> is replaced by P·K.
/// </remarks>
public sealed class NeuralNetworkEmbeddingTrainer : NeuralNetworkTrainerBase
{
    internal NeuralNetworkEmbeddingTrainer(IHostEnvironment environment, Options options)
        : base(environment, options, NeuralNetworkTask.Embedding)
    {
    }

    /// <summary>The options of <see cref="NeuralNetworkEmbeddingTrainer"/>.</summary>
    public sealed class Options : NeuralNetworkOptions
    {
        /// <summary>d, the length of the encoding (the seed's 128).</summary>
        public int EmbeddingDimension = 128;

        /// <summary>Scale every encoding to unit L2 norm (FaceNet).</summary>
        public bool NormalizeEmbedding = true;

        /// <summary>α, the triplet loss's margin (the seed's 0.2).</summary>
        public float Margin = 0.2f;

        /// <summary>Which triplets of each mini-batch train.</summary>
        public TripletMining Mining = TripletMining.BatchAll;

        /// <summary>P, identities per mini-batch.</summary>
        public int IdentitiesPerBatch = 8;

        /// <summary>K, examples of each identity per mini-batch.</summary>
        public int ExamplesPerIdentity = 4;

        /// <summary>The output column of encodings.</summary>
        public string EmbeddingColumnName = "Embedding";
    }
}
