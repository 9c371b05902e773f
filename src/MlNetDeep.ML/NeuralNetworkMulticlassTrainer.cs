using Microsoft.ML.Runtime;

namespace MlNetDeep.ML;

/// <summary>
/// Trains an MlNetDeep network for multiclass classification: softmax cross-entropy over the K values of a key label. Create it with
/// <c>mlContext.MulticlassClassification.Trainers.NeuralNetwork(...)</c>.
/// </summary>
public sealed class NeuralNetworkMulticlassTrainer : NeuralNetworkTrainerBase
{
    internal NeuralNetworkMulticlassTrainer(IHostEnvironment environment, Options options)
        : base(environment, options, NeuralNetworkTask.MulticlassClassification)
    {
    }

    /// <summary>The options of <see cref="NeuralNetworkMulticlassTrainer"/>.</summary>
    public sealed class Options : NeuralNetworkOptions
    {
        /// <summary>Label smoothing ε in [0, 1) for the softmax cross-entropy.</summary>
        public float LabelSmoothing;
    }
}
