using System.Text.Json;
using MlNetDeep.Tensors;

namespace MlNetDeep.ML.Experiments;

/// <summary>
/// Where a search draws one setting from (the lecture notes' rules, Ng's course 2 week 3 and Nielsen ch. 3): <c>log-uniform</c>
/// samples 10^r with r uniform between log10 min and log10 max (a learning rate: r in [−4, 0]); <c>one-minus-log-uniform</c>
/// samples β = 1 − 10^r (β in [0.9, 0.999]: r in [−3, −1]), so that 0.9 → 0.99 gets as many draws as 0.99 → 0.999;
/// <c>uniform</c>, <c>int</c> (whole numbers, both ends included) and <c>choice</c> (one of <see cref="Values"/>).
/// </summary>
public sealed class ParameterRange
{
    /// <summary>The distributions by name.</summary>
    public static readonly IReadOnlyList<string> Types = ["log-uniform", "one-minus-log-uniform", "uniform", "int", "choice"];

    /// <summary>One of <see cref="Types"/>.</summary>
    public string Type { get; set; } = "uniform";

    /// <summary>The smallest value (numeric types).</summary>
    public double Min { get; set; }

    /// <summary>The largest value (numeric types).</summary>
    public double Max { get; set; }

    /// <summary>The values of a <c>choice</c>.</summary>
    public JsonElement[]? Values { get; set; }

    /// <summary>True for the numeric types.</summary>
    public bool IsNumeric => Type != "choice";

    /// <summary>True when values are compared on a log scale (the search's scatter and coarse-to-fine narrowing).</summary>
    public bool IsLogScale => Type is "log-uniform" or "one-minus-log-uniform";

    /// <summary>Throws naming <paramref name="name"/> when the range is not usable.</summary>
    public void Validate(string name)
    {
        if (!Types.Contains(Type))
        {
            throw new ArgumentException($"search.space.{name}.type '{Type}' is unknown; expected one of {string.Join(", ", Types)}.");
        }

        if (Type == "choice")
        {
            if (Values is not { Length: > 0 })
            {
                throw new ArgumentException($"search.space.{name} is a choice but has no values.");
            }

            return;
        }

        var ok = Type switch
        {
            "log-uniform" => Min > 0 && Max >= Min,
            "one-minus-log-uniform" => Min >= 0 && Max < 1 && Max >= Min,
            _ => Max >= Min && double.IsFinite(Min) && double.IsFinite(Max),
        };
        if (!ok)
        {
            throw new ArgumentException(Type switch
            {
                "log-uniform" => $"search.space.{name}: log-uniform needs 0 < min ≤ max; got [{Min}, {Max}].",
                "one-minus-log-uniform" => $"search.space.{name}: one-minus-log-uniform needs 0 ≤ min ≤ max < 1; got [{Min}, {Max}].",
                _ => $"search.space.{name}: needs min ≤ max; got [{Min}, {Max}].",
            });
        }
    }

    /// <summary>A value drawn from the range.</summary>
    public JsonElement Sample(RandomSource random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (Type == "choice")
        {
            return Values![random.NextInt(Values.Length)];
        }

        var u = random.NextDouble();
        return Number(FromScale(ToScale(Min) + (u * (ToScale(Max) - ToScale(Min)))));
    }

    /// <summary><paramref name="count"/> values evenly spaced on the range's scale (all values of a choice).</summary>
    public IReadOnlyList<JsonElement> Grid(int count)
    {
        if (Type == "choice")
        {
            return Values!;
        }

        if (Type == "int")
        {
            var span = (int)(Max - Min);
            count = Math.Min(count, span + 1);
        }

        var lo = ToScale(Min);
        var hi = ToScale(Max);
        return [.. Enumerable.Range(0, count).Select(i => Number(FromScale(count == 1 ? (lo + hi) / 2 : lo + ((hi - lo) * i / (count - 1)))))];
    }

    /// <summary>The position of <paramref name="value"/> on the range's sampling scale (r of 10^r, or the value).</summary>
    public double ToScale(double value) => Type switch
    {
        "log-uniform" => Math.Log10(value),
        "one-minus-log-uniform" => -Math.Log10(1 - value),
        _ => value,
    };

    /// <summary>The value at position <paramref name="position"/> of the sampling scale.</summary>
    public double FromScale(double position) => Type switch
    {
        "log-uniform" => Math.Pow(10, position),
        "one-minus-log-uniform" => 1 - Math.Pow(10, -position),
        "int" => Math.Round(position),
        _ => position,
    };

    /// <summary>A copy narrowed to [<paramref name="min"/>, <paramref name="max"/>] (given as values), kept inside this range.</summary>
    public ParameterRange Narrowed(double min, double max) => new()
    {
        Type = Type,
        Min = Math.Max(Min, Math.Min(min, max)),
        Max = Math.Min(Max, Math.Max(min, max)),
        Values = Values,
    };

    private static JsonElement Number(double value) => JsonSerializer.SerializeToElement(value);
}
