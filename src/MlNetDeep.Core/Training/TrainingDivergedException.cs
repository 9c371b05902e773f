namespace MlNetDeep.Training;

/// <summary>Thrown when the cost becomes NaN or infinite: training stops at that mini-batch.</summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TrainingDivergedException(int epoch, int batch, double loss, float learningRate)
        : base($"The loss became {loss} at epoch {epoch}, batch {batch} (learning rate {learningRate}). " +
               "Training stopped; lower the learning rate, clip gradients, or check the inputs' scale.")
    {
        Epoch = epoch;
        Batch = batch;
        LossValue = loss;
    }

    /// <summary>The 1-based epoch.</summary>
    public int Epoch { get; }

    /// <summary>The 1-based mini-batch within the epoch.</summary>
    public int Batch { get; }

    /// <summary>The non-finite loss.</summary>
    public double LossValue { get; }
}
