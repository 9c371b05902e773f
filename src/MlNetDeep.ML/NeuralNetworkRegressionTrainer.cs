using Microsoft.ML.Runtime;

namespace MlNetDeep.ML;

/// <summary>
/// Trains an MlNetDeep network for regression: the quadratic cost on one output, a Single label. Create it with
/// <c>mlContext.Regression.Trainers.NeuralNetwork(...)</c>.
/// </summary>
public sealed class NeuralNetworkRegressionTrainer : NeuralNetworkTrainerBase
{
    internal NeuralNetworkRegressionTrainer(IHostEnvironment environment, Options options)
        : base(environment, options, NeuralNetworkTask.Regression)
    {
    }

    /// <summary>The options of <see cref="NeuralNetworkRegressionTrainer"/>.</summary>
    public sealed class Options : NeuralNetworkOptions
    {
    }
}
