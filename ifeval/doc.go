// Package ifeval owns the verdict on a reply to an IFEval prompt (google/IFEval):
// the verifiable-instruction checkers, the strict and loose verdicts per
// instruction, and the four accuracies the field reports (prompt- and
// instruction-level, each strict and loose), plus accuracy per instruction id so a
// report can show which instructions a quantized model stopped following.
//
// The checkers follow the IFEval paper (Zhou et al., 2023, arXiv:2311.07911) and
// lm-evaluation-harness's ifeval task. Files read (the code here is our own Go):
//   - lm-evaluation-harness lm_eval/tasks/ifeval/instructions.py (checkers),
//     instructions_util.py (split_into_sentences, count_words, language codes),
//     instructions_registry.py (ids), utils.py (strict, loose, aggregation);
//   - google-research instruction_following_eval/instructions_test.py and
//     instructions_util_test.py (cases the tests here re-check).
//
// TestLMEvalAgreement replays 860 verdicts that lm-eval's rules give on tricky
// replies (testdata/lmeval_agreement.jsonl) for the 21 instructions that need
// neither langdetect nor nltk; the other four are pinned by table tests.
//
// # Decisions
//
//   - Ids are exactly instruction_id_list's (InstructionIDs lists the 25). Kwargs
//     come as the data has them: one dict per instruction with every key, most null;
//     each checker takes the keys it needs. Where lm-eval draws a random value for a
//     null or invalid kwarg, Compile fails instead, naming the row, index and key.
//   - Strict checks the reply; loose passes an instruction when any of lm-eval's
//     eight variants passes (LooseVariants). Prompt level wants every instruction.
//     Primary score: prompt-level strict. A blank reply follows nothing.
//   - Check drops the reply's leading whitespace first, as lm-eval does to the text
//     after "</think>" (see Prompt.Check); trailing whitespace stays, as in lm-eval,
//     so a closing newline is the "last line" the loose variants drop. For a reply
//     with no think block lm-eval keeps leading whitespace too: then the strict
//     verdict differs only for nth_paragraph_first_word on a reply opening with a
//     blank line, and the loose one where a leading blank line would have been the
//     "first line" dropped.
//   - Keywords, keyword frequency, forbidden words, section splitters and postscript
//     markers are regular expressions, as in lm-eval (matched case-insensitively
//     but the splitter); one RE2 cannot compile is matched as text. Word boundaries
//     and \s, \w, \d follow Python's Unicode meaning, not Go's ASCII one.
//   - Words (number_words) are runs of Unicode letters, digits and "_", exactly
//     lm-eval's RegexpTokenizer(r"\w+"); "hydro-thermal" and "don't" are two.
//   - Sentences (number_sentences): lm-eval counts with nltk's punkt English model,
//     a trained model we do not ship. We count with SplitSentences, the port of
//     lm-eval's own rule-based split_into_sentences. They agree on plain prose and on
//     google's test cases; they differ where punkt's learned abbreviations apply
//     ("e.g. the", "etc. and", "Fig. 3": punkt does not split, we do unless the
//     rules protect it), on ". ? !" not followed by a space ("end.Next", "Hi!Bye": punkt
//     does not split, we do) and on single letters before a period ("plan B. Then":
//     we do not split).
//   - Capital words (capital_word_frequency): lm-eval tokenizes with
//     nltk.word_tokenize. wordTokens cuts at whitespace and the punctuation Treebank
//     always separates (with "*", "--", "..." and curly quotes: "**DON'T**" and
//     "NASA’s" count as nltk counts them), and splits contractions (DON'T = DO +
//     N'T, two capital words) and CANNOT/GONNA-like words, as Treebank does; it
//     keeps ". - / '" inside tokens. Capitals are Python's: Other_Uppercase and
//     Other_Lowercase letters (Ⅻ, ª) are cased, as str.isupper and islower have it. It differs from nltk on rarer splits (a ":" or "," between
//     digits, quotes inside words), which only matter when they separate cased text.
//   - Language: github.com/abadojack/whatlanggo (trigram profiles, 84 languages,
//     +0.45 MB to a binary) rather than github.com/pemistahl/lingua-go (more
//     accurate on short text, but +132 MB of embedded models, and it lacks Kannada,
//     Malayalam and Nepali, which IFEval asks for). whatlanggo covers every language
//     of lm-eval's LANGUAGE_CODES but Swahili; a "sw" instruction passes unless the
//     reply is detected as English. Text with no detectable script passes, as
//     lm-eval passes text langdetect raises on. Codes follow langdetect: fa for
//     Persian, no for Bokmål, zh for Chinese.
//   - JSON (json_format) is encoding/json's grammar: Python's json.loads also takes
//     NaN and Infinity, which fail here.
package ifeval
