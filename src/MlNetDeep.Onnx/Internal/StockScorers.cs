using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Trainers;

namespace MlNetDeep.Onnx.Internal;

/// <summary>
/// ML.NET's own scorers over a network's outputs, so that a converted pipeline has exactly the columns MlNetDeep's
/// transformer has and stock ML.NET saves and loads them with its own loaders: multiclass, a maximum-entropy model with
/// identity weights (Score = softmax(logits), PredictedLabel the argmax as a key with the label's KeyValues); binary, a
/// linear model w = 1, b = 0 with a Platt calibrator of slope −1 (Score = the logit, Probability = σ(logit), PredictedLabel =
/// logit &gt; 0); regression, a linear model w = 1, b = 0 (Score = the output).
/// </summary>
/// <remarks>
/// Microsoft.ML 5.0.1 has no public way to build a prediction transformer from given parameters (its constructors are
/// internal), and ApplyOnnxModel cannot give scalar columns (its getter for a rank-0 output fails), so this is the one
/// place that calls those constructors by reflection; <c>StockMlNetTests</c> fails if Microsoft.ML changes them.
/// </remarks>
internal static class StockScorers
{
    public static ITransformer Multiclass(MLContext ml, DataViewSchema schema, string logits, int classes, DataViewSchema.Column predictedLabel)
    {
        var env = (IHostEnvironment)ml;
        var weights = Enumerable.Range(0, classes).Select(k =>
        {
            var row = new float[classes];
            row[k] = 1f;
            return new VBuffer<float>(classes, row);
        }).ToArray();
        var model = New(typeof(MaximumEntropyModelParameters), env, weights, new float[classes], classes, classes, null, null);

        // The scorer takes the label's key type and KeyValues from a label column of its training schema: give it one.
        var label = $"{logits}.label";
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(schema);
        builder.AddColumn(label, predictedLabel.Type, predictedLabel.Annotations);
        var transformerType = typeof(MulticlassPredictionTransformer<>).MakeGenericType(typeof(MaximumEntropyModelParameters));
        return (ITransformer)New(transformerType, env, model, builder.ToSchema(), logits, label, "Score", "PredictedLabel");
    }

    public static ITransformer Binary(MLContext ml, DataViewSchema schema, string logit)
    {
        var env = (IHostEnvironment)ml;
        var linear = New(typeof(LinearBinaryModelParameters), env, new VBuffer<float>(1, [1f]), 0f, null);
        var platt = New(typeof(PlattCalibrator), env, -1.0, 0.0);
        var mixed = typeof(PlattCalibrator).Assembly.GetType("Microsoft.ML.Calibrators.ParameterMixingCalibratedModelParameters`2", throwOnError: true)!
            .MakeGenericType(typeof(LinearBinaryModelParameters), typeof(PlattCalibrator));
        var model = New(mixed, env, linear, platt);
        var transformerType = typeof(BinaryPredictionTransformer<>).MakeGenericType(typeof(CalibratedModelParametersBase<LinearBinaryModelParameters, PlattCalibrator>));
        return (ITransformer)New(transformerType, env, model, schema, logit, 0f, "Score");
    }

    public static ITransformer Regression(MLContext ml, DataViewSchema schema, string output)
    {
        var env = (IHostEnvironment)ml;
        var model = New(typeof(LinearRegressionModelParameters), env, new VBuffer<float>(1, [1f]), 0f);
        var transformerType = typeof(RegressionPredictionTransformer<>).MakeGenericType(typeof(LinearRegressionModelParameters));
        return (ITransformer)New(transformerType, env, model, schema, output);
    }

    /// <summary>Calls the constructor of <paramref name="type"/> whose parameters take <paramref name="args"/> (null fits any reference).</summary>
    private static object New(Type type, params object?[] args)
    {
        var constructor = type.GetConstructors(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance).FirstOrDefault(c =>
        {
            var parameters = c.GetParameters();
            return parameters.Length == args.Length && parameters.Zip(args).All(p =>
            {
                var expected = p.First.ParameterType.IsByRef ? p.First.ParameterType.GetElementType()! : p.First.ParameterType;
                return p.Second is null ? !expected.IsValueType : expected.IsInstanceOfType(p.Second);
            });
        }) ?? throw new InvalidOperationException(
            $"Microsoft.ML changed: {type.Name} has no constructor taking ({string.Join(", ", args.Select(a => a?.GetType().Name ?? "null"))}), which the stock ML.NET conversion builds its scorers with.");
        return constructor.Invoke(args);
    }
}
