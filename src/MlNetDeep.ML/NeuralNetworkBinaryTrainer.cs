using Microsoft.ML.Runtime;

namespace MlNetDeep.ML;

/// <summary>
/// Trains an MlNetDeep network for binary classification: binary cross-entropy on one logit, a Boolean label. Create it with
/// <c>mlContext.BinaryClassification.Trainers.NeuralNetwork(...)</c>.
/// </summary>
public sealed class NeuralNetworkBinaryTrainer : NeuralNetworkTrainerBase
{
    internal NeuralNetworkBinaryTrainer(IHostEnvironment environment, Options options)
        : base(environment, options, NeuralNetworkTask.BinaryClassification)
    {
    }

    /// <summary>The options of <see cref="NeuralNetworkBinaryTrainer"/>.</summary>
    public sealed class Options : NeuralNetworkOptions
    {
        /// <summary>The name of the output column with σ(Score), the probability of the positive class (ML.NET's <c>Probability</c>).</summary>
        public string ProbabilityColumnName = "Probability";
    }
}
