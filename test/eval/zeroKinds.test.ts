// What an honest zero is, judged apart from the scorer: loops compress, refusals say so.
import { describe, expect, test } from "bun:test"
import { compressionRatio, zeroKind } from "../../src/eval/zeroKinds.ts"

const prose =
  "Photosynthesis happens in the chloroplasts of leaf cells. Light energy splits water, releasing oxygen, and the energy " +
  "captured drives the Calvin cycle, which fixes carbon dioxide into sugars the plant uses to grow. Stomata regulate the " +
  "exchange of gases, and the rate depends on light, temperature and the supply of water and carbon dioxide."

describe("zero kinds", () => {
  test("a loop is repetitive; prose is not; a short repeated line is too short to tell", () => {
    const loop = `Ingredients:\n${"* 1/4 cup grated ginger\n".repeat(200)}`
    expect(compressionRatio(loop)).toBeLessThan(0.05)
    expect(compressionRatio(prose)).toBeGreaterThan(0.4)
    expect(zeroKind(loop)).toBe("repetitive")
    expect(zeroKind(prose)).toBe("unexplained")
    expect(zeroKind("yes yes yes yes yes")).toBe("unexplained")
  })

  test("refusals and non-answers say so in their first sentences", () => {
    expect(zeroKind("As an AI language model, I am unable to provide a specific answer without the title of the book.")).toBe("refusal")
    expect(zeroKind("I'm sorry, but I am not able to answer your question.")).toBe("refusal")
    expect(zeroKind("No Output")).toBe("refusal")
    // a model that sent nothing (the dev split holds a few empty outputs)
    expect(zeroKind("")).toBe("empty")
    expect(zeroKind(" \n\t")).toBe("empty")
    expect(zeroKind(`${prose} ${prose} I'm sorry if this is too long.`)).toBe("unexplained")
    // asking back instead of answering
    expect(zeroKind("That is a good puzzle. Do you want me to walk you through it?")).toBe("refusal")
    expect(zeroKind("Sure! What do you want to know about the song?")).toBe("refusal")
    expect(zeroKind("The request is not clear. Can you please rephrase it? Thanks!")).toBe("refusal")
    // an answer put as a question, or a long answer that ends by offering more, is an answer
    expect(zeroKind('How about "Fresh from the oven, every morning"?')).toBe("unexplained")
    expect(zeroKind(`${prose} Would you like to know more about the Calvin cycle?`)).toBe("unexplained")
  })
})
