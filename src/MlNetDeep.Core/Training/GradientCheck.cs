using MlNetDeep.Layers;
using MlNetDeep.Losses;
using MlNetDeep.Optimizers;

namespace MlNetDeep.Training;

/// <summary>
/// The seeds' gradient check (seed 001 "梯度检查"): compares backpropagation's gradients with central
/// differences (J(θ+ε) − J(θ−ε))/(2ε), accumulated in double precision, for every parameter and the input.
/// For debugging only; turn dropout off (keep probability 1) and include the L1/L2 terms you train with.
/// </summary>
public static class GradientCheck
{
    /// <summary>Checks the gradients of <paramref name="loss"/> ∘ <paramref name="network"/> at the given batch.</summary>
    /// <param name="network">A built network.</param>
    /// <param name="loss">The cost.</param>
    /// <param name="input">A small batch of inputs.</param>
    /// <param name="target">Its targets.</param>
    /// <param name="l1">L1 strength added to the cost.</param>
    /// <param name="l2">L2 strength added to the cost.</param>
    /// <param name="epsilon">The perturbation ε.</param>
    /// <param name="tolerance">The largest acceptable relative error; float32 forward passes reach ~1e-4 to 1e-3.</param>
    /// <param name="training">The mode of the forward passes (true checks batch-norm's batch statistics).</param>
    /// <param name="maxEntriesPerTensor">Checks at most this many evenly spaced entries of each tensor.</param>
    public static GradientCheckResult Run(
        Layer network,
        Loss loss,
        Tensor input,
        Tensor target,
        float l1 = 0,
        float l2 = 0,
        double epsilon = 1e-3,
        double tolerance = 2e-3,
        bool training = false,
        int maxEntriesPerTensor = 200)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(loss);
        var parameters = network.Parameters;
        var names = network.ParameterNames();

        foreach (var p in parameters)
        {
            p.Gradient.Clear();
        }

        network.ComputeInputGradient = true;
        var output = network.Forward(input, training);
        var grad = new Tensor(output.ShapeArray());
        loss.Compute(output, target, grad);
        var inputGradient = network.Backward(grad).Clone();
        Regularization.AddGradients(parameters, l1, l2);

        double Cost()
        {
            var o = network.Forward(input, training);
            return loss.Compute(o, target, null) + Regularization.Penalty(parameters, l1, l2);
        }

        var errors = new Dictionary<string, double>();
        for (var i = 0; i < parameters.Count; i++)
        {
            errors[names[i]] = Compare(parameters[i].Value, parameters[i].Gradient, Cost, epsilon, maxEntriesPerTensor);
        }

        errors["input"] = Compare(input, inputGradient, Cost, epsilon, maxEntriesPerTensor);
        return new GradientCheckResult(errors, tolerance);
    }

    private static double Compare(Tensor values, Tensor analytic, Func<double> cost, double epsilon, int maxEntries)
    {
        var stride = Math.Max(1, values.Length / maxEntries);
        double diff = 0, normA = 0, normN = 0;
        for (var i = 0; i < values.Length; i += stride)
        {
            var original = values[i];
            var up = (float)(original + epsilon);
            var down = (float)(original - epsilon);
            values[i] = up;
            var plus = cost();
            values[i] = down;
            var minus = cost();
            values[i] = original;

            // Divide by the step actually taken after rounding to float.
            var numeric = (plus - minus) / ((double)up - down);
            double a = analytic[i];
            diff += (a - numeric) * (a - numeric);
            normA += a * a;
            normN += numeric * numeric;
        }

        var denominator = Math.Sqrt(normA) + Math.Sqrt(normN);
        return denominator == 0 ? 0 : Math.Sqrt(diff) / denominator;
    }
}
