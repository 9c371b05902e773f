using System.Globalization;

namespace MlNetDeep.Training;

/// <summary>
/// Thrown when training diverges: the loss, an output, a gradient or a parameter became NaN or infinite, or the loss
/// exploded past <see cref="TrainingOptions.DivergenceFactor"/> times the untrained network's loss. Training stops at
/// that mini-batch; <see cref="Epoch"/>, <see cref="Batch"/> and <see cref="Cause"/> say where and what.
/// </summary>
public sealed class TrainingDivergedException : Exception
{
    private const string Advice =
        "Training stopped; lower the learning rate, clip gradients (GradientClipNorm), or check the inputs' scale.";

    /// <summary>Creates the exception for a loss that became NaN or infinite (<see cref="DivergenceCause.NonFiniteLoss"/>).</summary>
    /// <param name="epoch">The 1-based epoch.</param>
    /// <param name="batch">The 1-based mini-batch within the epoch.</param>
    /// <param name="loss">The non-finite loss.</param>
    /// <param name="learningRate">The learning rate of that step.</param>
    public TrainingDivergedException(int epoch, int batch, double loss, float learningRate)
        : this(epoch, batch, loss, learningRate, DivergenceCause.NonFiniteLoss, null, null)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="epoch">The 1-based epoch.</param>
    /// <param name="batch">The 1-based mini-batch within the epoch.</param>
    /// <param name="loss">The mini-batch loss (NaN when it was not computed, as when the outputs were already non-finite).</param>
    /// <param name="learningRate">The learning rate of that step.</param>
    /// <param name="cause">What diverged.</param>
    /// <param name="parameterName">
    /// The parameter, named as <see cref="Layers.Layer.ParameterNames"/> names it, for <see cref="DivergenceCause.NonFiniteGradient"/>
    /// and <see cref="DivergenceCause.NonFiniteParameter"/>; otherwise null.
    /// </param>
    /// <param name="detail">What was found, such as the first non-finite value and where it is, or the bound exceeded; may be null.</param>
    public TrainingDivergedException(int epoch, int batch, double loss, float learningRate, DivergenceCause cause, string? parameterName, string? detail)
        : base(Describe(epoch, batch, loss, learningRate, cause, parameterName, detail))
    {
        Epoch = epoch;
        Batch = batch;
        LossValue = loss;
        LearningRate = learningRate;
        Cause = cause;
        ParameterName = parameterName;
    }

    /// <summary>The 1-based epoch.</summary>
    public int Epoch { get; }

    /// <summary>The 1-based mini-batch within the epoch.</summary>
    public int Batch { get; }

    /// <summary>The mini-batch loss: non-finite for <see cref="DivergenceCause.NonFiniteLoss"/>, NaN when it was not computed.</summary>
    public double LossValue { get; }

    /// <summary>The learning rate of the step that diverged.</summary>
    public float LearningRate { get; }

    /// <summary>What diverged.</summary>
    public DivergenceCause Cause { get; }

    /// <summary>The parameter whose gradient or value became non-finite (such as <c>1.weight</c>), or null.</summary>
    public string? ParameterName { get; }

    private static string Describe(int epoch, int batch, double loss, float learningRate, DivergenceCause cause, string? parameterName, string? detail)
    {
        var ci = CultureInfo.InvariantCulture;
        var where = string.Create(ci, $"at epoch {epoch}, batch {batch} (learning rate {learningRate:G4})");
        var what = cause switch
        {
            DivergenceCause.NonFiniteLoss => string.Create(ci, $"The loss became {loss} {where}"),
            DivergenceCause.LossExploded => string.Create(ci, $"The loss exploded to {loss:G4} {where}"),
            DivergenceCause.NonFiniteOutputs => $"The network's outputs became non-finite {where}",
            DivergenceCause.NonFiniteGradient => $"The gradient of parameter '{parameterName}' became non-finite {where}",
            _ => $"Parameter '{parameterName}' became non-finite in the optimizer's update {where}",
        };
        return detail is null ? $"{what}. {Advice}" : $"{what}: {detail}. {Advice}";
    }
}
