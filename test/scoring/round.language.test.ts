// Answers in another language than the round's: judged against the answers in their language when the prompt is
// written in it too (a monolingual embedding model puts a French answer far from English ones).
import { describe, expect, test } from "bun:test"
import { languageOf, languagePeers, promptLanguages } from "../../src/scoring/language.ts"
import { around, orthogonalTo, randomUnit, type SynthResponse } from "../fixtures/rounds/synthetic.ts"
import { DIM, miner, onTopic, PROMPT_TEXT, scene, score } from "./roundScene.ts"

const FRENCH_STORY =
  "Explain how plants make their food from light, then answer the question on the story.\n\n" +
  "Marie est dans le jardin avec son grand-père, qui lui montre les feuilles des arbres.\n" +
  "Il dit que les plantes mangent la lumière du soleil pendant toute la journée.\n" +
  "Do the plants eat sunlight?"

const FRENCH_ANSWERS = [
  "Oui, selon le grand-père, les plantes utilisent la lumière du soleil pour fabriquer leur nourriture dans les feuilles.",
  "Oui. Les plantes se nourrissent de la lumière du soleil : les feuilles la captent et en font de l'énergie pendant la journée.",
  "D'après l'histoire, les plantes mangent la lumière du soleil, et ce sont les feuilles qui font ce travail toute la journée."
]

/** A scene whose English answers read as English prose and whose French answers agree with each other. */
const bilingual = (seed: number, french: ReadonlyArray<string>) => {
  const s = scene(seed)
  const english = [1, 2, 3, 4, 5, 6].map((uid) =>
    s.honest(uid, 2000 + 100 * uid, { text: `Yes, the plants do this in their leaves: ${onTopic(s.r)} That is how the energy of light is stored for the whole plant.` })
  )
  const frenchDir = orthogonalTo(randomUnit(DIM, s.r), s.prompt, s.dir)
  const answers: Array<SynthResponse> = french.map((text, k) => ({ uid: 20 + k, vec: around(frenchDir, 0.3, s.r), text, latencyMs: 2500 }))
  return { s, english, answers }
}

describe("languages", () => {
  test("franc names the language of prose, not of a few characters; a prompt's quoted story adds its language", () => {
    expect(languageOf(FRENCH_ANSWERS[0]!)).toBe("fra")
    expect(languageOf("Yes, the plants use the light of the sun to make their food in the leaves, as the story says.")).toBe("eng")
    expect(languageOf("Oui.")).toBeNull()
    // a short English question reads as Spanish, Portuguese nearly as well: a guess, not a sure call
    const short = "Can you explain tides to a child?"
    expect(languageOf(short)).not.toBeNull()
    expect(languageOf(short, true)).toBeNull()
    expect(languageOf(FRENCH_ANSWERS[1]!, true)).toBe("fra")
    const langs = promptLanguages(FRENCH_STORY)
    expect(langs.has("eng")).toBe(true)
    expect(langs.has("fra")).toBe(true)
    expect(promptLanguages(PROMPT_TEXT).has("fra")).toBe(false)
  })

  test("peers are the other entities in a minority language of the prompt; none for the majority's language", () => {
    const texts = ["The plants use light to make food in the leaves, as the story says.", "Yes: the story says that the plants eat the light of the sun with their leaves.", "Plants eat sunlight through their leaves during the whole day, as the story says.", "Yes, the leaves of the plants turn the light of the sun into their food.", ...FRENCH_ANSWERS]
    const entity = [0, 1, 2, 3, 4, 5, 6]
    const peersOf = languagePeers(FRENCH_STORY, texts, entity)
    expect(peersOf(4)).toEqual([5, 6])
    expect(peersOf(0)).toEqual([])
    // the same answers to an English-only prompt: French is not a language of the prompt
    expect(languagePeers(PROMPT_TEXT, texts, entity)(4)).toEqual([])
    // answers that do not take part (null text or entity < 0) are nobody's peers
    expect(languagePeers(FRENCH_STORY, [...texts.slice(0, 5), null, texts[6]!], [0, 1, 2, 3, 4, 5, -1])(4)).toEqual([])
    // as many French entities as English ones: French is not a minority
    expect(languagePeers(FRENCH_STORY, texts.slice(1), entity.slice(1))(3)).toEqual([])
  })
})

describe("a round with answers in the prompt's other language", () => {
  test("French answers to a French story's question are judged among themselves and paid", () => {
    const { s, english, answers } = bilingual(11, FRENCH_ANSWERS)
    const res = score({ prompt: s.prompt, promptText: FRENCH_STORY, responses: [...english, ...answers] })
    for (const a of answers) {
      expect(miner(res, a.uid).filtered).toBeNull()
      expect(miner(res, a.uid).reward).toBeGreaterThan(0)
      // covered in their language (the story's own words are the prompt's, so what is left is small)
      expect(miner(res, a.uid).axes.coverage ?? 0).toBeGreaterThan(0.05)
    }
  })

  test("without the language in the prompt, or without a peer in it, a far answer is still zeroed", () => {
    const { s, english, answers } = bilingual(12, FRENCH_ANSWERS)
    const englishOnly = score({ prompt: s.prompt, promptText: PROMPT_TEXT, responses: [...english, ...answers] })
    for (const a of answers) expect(miner(englishOnly, a.uid).reward).toBe(0)
    const alone = score({ prompt: s.prompt, promptText: FRENCH_STORY, responses: [...english, answers[0]!] })
    expect(miner(alone, answers[0]!.uid).reward).toBe(0)
  })
})
