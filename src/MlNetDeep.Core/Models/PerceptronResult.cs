namespace MlNetDeep.Models;

/// <summary>What the perceptron learning rule reached.</summary>
/// <param name="Converged">True when a full pass made no mistake: the data are linearly separable and W, b separate them.</param>
/// <param name="ProvenNotSeparable">True when the weights returned to a state of an earlier pass: the rule cycles forever, so the data are not linearly separable.</param>
/// <param name="Epochs">Passes made over the data.</param>
/// <param name="Updates">Weight updates made.</param>
/// <param name="Message">A sentence saying which of the outcomes happened.</param>
public sealed record PerceptronResult(bool Converged, bool ProvenNotSeparable, int Epochs, int Updates, string Message);
