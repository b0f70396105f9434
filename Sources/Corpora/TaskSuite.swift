import Foundation
import Tensor

/// A synthetic instruction-task suite in the manner of Flan's mixture, generated in code and deterministic.
///
/// A *task* is an operation with its parameters (a Caesar shift of 3 is not a shift of 4), belonging to a
/// *family* (the operation) and a *cluster* (a group of related families, held in or out as a whole, as
/// Flan holds out whole benchmarks). Each family has six instruction templates: the first five are used
/// for finetuning, the sixth only for evaluation. Each family also has one plain-sentence *phrasing*, the
/// form in which pretraining text shows the operation ("lamp with k in front gives: klamp"), never in the
/// instruction format. Inputs come from pseudo-words split into a training and an evaluation vocabulary,
/// so evaluation inputs never occur in training text.
public struct TaskSuite: Sendable {
    /// One task: an operation with fixed parameters.
    public struct Task: Sendable, Hashable {
        public var id: String
        public var cluster: String
        public var family: String
        /// The parameter as it appears in text (e.g. "3", "k", "( )").
        public var param: String
        let op: Op
        public static func == (a: Task, b: Task) -> Bool { a.id == b.id }
        /// This task's exact answer on `input`, or nil when the input is not of the kind it takes.
        public func answer(for input: String) -> String? {
            switch op {
            case .add, .sub, .mul, .countBy: if Int(input) == nil { return nil }
            case .lookup: if !input.contains("=") { return nil }
            default: if input.isEmpty { return nil }
            }
            return op.apply(input, param)
        }
        public func hash(into h: inout Hasher) { h.combine(id) }
    }

    /// A rendered instance: the input, the exact answer, and the text forms.
    public struct Instance: Sendable, Equatable {
        public var taskID: String
        public var input: String
        public var answer: String
        /// The instruction prompt, ending where the answer starts.
        public var prompt: String
    }

    public let tasks: [Task]
    public let clusters: [String]
    public let trainWords: [String]
    public let evalWords: [String]

    /// The instruction format: `### <instruction>\n>> <answer>\n`. Pretraining text never contains it.
    public static let instructionPrefix = "### ", answerPrefix = "\n>> ", terminator = "\n"
    /// The first five templates are for training; template 5 is held out for evaluation.
    public static let trainTemplates = 0..<5, evalTemplate = 5

    public init() {
        var t: [Task] = []
        for f in TaskSuite.families {
            for p in f.params { t.append(Task(id: "\(f.name)(\(p))", cluster: f.cluster, family: f.name, param: p, op: f.op)) }
        }
        tasks = t
        var seen: [String] = []
        for f in TaskSuite.families where !seen.contains(f.cluster) { seen.append(f.cluster) }
        clusters = seen
        let words = TaskSuite.pseudoWords(count: 3000)
        trainWords = words.enumerated().filter { $0.offset % 5 != 0 }.map(\.element)
        evalWords = words.enumerated().filter { $0.offset % 5 == 0 }.map(\.element)
    }

    public func tasks(in cluster: String) -> [Task] { tasks.filter { $0.cluster == cluster } }

    // MARK: Rendering

    /// The instruction text of `task` on `input` with template `template` (0..<6).
    public func instruction(_ task: Task, input: String, template: Int) -> String {
        let f = TaskSuite.family(task.family)
        return f.templates[template].replacingOccurrences(of: "{p}", with: task.param).replacingOccurrences(of: "{w}", with: input)
    }

    /// A finetuning/evaluation instance in the instruction format.
    public func instance(_ task: Task, input: String, template: Int) -> Instance {
        Instance(taskID: task.id, input: input, answer: task.op.apply(input, task.param),
                 prompt: TaskSuite.instructionPrefix + instruction(task, input: input, template: template) + TaskSuite.answerPrefix)
    }

    /// The plain-sentence form used in pretraining: (prompt, answer); the line is prompt + answer + "\n".
    public func phrasing(_ task: Task, input: String) -> (prompt: String, answer: String) {
        let f = TaskSuite.family(task.family)
        let p = f.phrasing.replacingOccurrences(of: "{p}", with: task.param).replacingOccurrences(of: "{w}", with: input)
        return (p + ": ", task.op.apply(input, task.param))
    }

    /// A random input for `task` drawn from the train or evaluation vocabulary (numbers and contexts are
    /// split too). Tasks on a letter edit the word (insert the letter, or drop it), and an edited
    /// evaluation word can equal an edited training word ("sun" + t = "stun", a training word); so an
    /// evaluation input of such a task is drawn again until no training input of it can be the same
    /// (the contamination check found this leak).
    public func input(for task: Task, eval: Bool, rng: inout RNG) -> String {
        guard eval, let c = task.op.editedLetter(task.param) else { return draw(for: task, eval: eval, rng: &rng) }
        let taken = TrainingInputs.shared.inputs(editing: c, words: trainWords)
        while true {
            let x = draw(for: task, eval: true, rng: &rng)
            if !taken.contains(x) { return x }
        }
    }

    func draw(for task: Task, eval: Bool, rng: inout RNG) -> String {
        let words = eval ? evalWords : trainWords
        func word(minLength: Int = 3) -> String {
            while true { let w = words[rng.int(below: words.count)]; if w.count >= minLength { return w } }
        }
        switch task.op {
        case .remove, .count, .replace:
            let c = task.op.letter(task.param)
            var w = Array(word())
            if !w.contains(c) { w.insert(c, at: rng.int(below: w.count + 1)) }
            return String(w)
        case .contains:
            let c = task.op.letter(task.param)
            var w = Array(word())
            if rng.int(below: 2) == 0 { if !w.contains(c) { w.insert(c, at: rng.int(below: w.count + 1)) } } else { w.removeAll { $0 == c }; if w.isEmpty { w = ["z"] } }
            return String(w)
        case .nth: return word(minLength: 5)
        case .add, .sub, .mul, .countBy:
            // Numbers: every fifth group of three goes to evaluation, so that no eval number is a train number.
            let maxN = task.op == .countBy ? 30 : task.op == .mul ? 15 : 90
            while true {
                let n = rng.int(below: maxN)
                let isEval = (n / 3) % 5 == 0
                if isEval == eval && (task.op != .sub || n >= Int(task.param)!) { return String(n) }
            }
        case .lookup:
            let key = task.op.letter(task.param)
            var keys: [Character] = [key]
            while keys.count < 3 { let k = Character(UnicodeScalar(UInt8(97 + rng.int(below: 26)))); if !keys.contains(k) { keys.append(k) } }
            rng.shuffle(&keys)
            // Digit patterns split by their sum's parity between train and eval.
            while true {
                let digits = (0..<3).map { _ in rng.int(below: 10) }
                if (digits.reduce(0, +) % 2 == 1) == eval { return zip(keys, digits).map { "\($0)=\($1)" }.joined(separator: " ") }
            }
        default: return word()
        }
    }

    // MARK: Pseudo-words

    /// Deterministic pronounceable lowercase pseudo-words of 3-6 letters, distinct.
    static func pseudoWords(count: Int) -> [String] {
        let onsets = ["b", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z", "br", "st", "pl", "gr"]
        let vowels = ["a", "e", "i", "o", "u"]
        let codas = ["", "", "n", "t", "m", "s", "k", "l", "r", "p"]
        var rng = RNG(seed: 0x5EED_C0DE)
        var out: [String] = [], seen = Set<String>()
        while out.count < count {
            let syll = 1 + rng.int(below: 2)
            var w = ""
            for _ in 0..<syll { w += onsets[rng.int(below: onsets.count)] + vowels[rng.int(below: vowels.count)] }
            w += codas[rng.int(below: codas.count)]
            if w.count >= 3 && w.count <= 6 && seen.insert(w).inserted { out.append(w) }
        }
        return out
    }
}

// MARK: Operations

/// The operations, each a pure function of (input, parameter text).
enum Op: Sendable, Hashable {
    case shift, append, prepend, replace, remove, count, contains, add, sub, mul, nth, lookup, countBy, wrap
    case reverse, sort, upper, double, first, last, reverseAppend

    /// The letter a letter-parameterised operation acts on (the first character of its parameter).
    func letter(_ p: String) -> Character { p.first! }

    /// The letter whose presence an input of this operation is edited for (inserted, or removed), if any.
    func editedLetter(_ p: String) -> Character? {
        switch self {
        case .remove, .count, .replace, .contains: return letter(p)
        default: return nil
        }
    }

    func apply(_ w: String, _ p: String) -> String {
        switch self {
        case .shift:
            let k = UInt8(p)!
            return String(w.map { c in c.isLowercase ? Character(UnicodeScalar((c.asciiValue! - 97 + k) % 26 + 97)) : c })
        case .append: return w + p
        case .prepend: return p + w
        case .replace:
            let parts = p.split(separator: " ")
            return String(w.map { $0 == parts[0].first! ? parts[2].first! : $0 })
        case .remove: return String(w.filter { $0 != p.first! })
        case .count: return String(w.filter { $0 == p.first! }.count)
        case .contains: return w.contains(p.first!) ? "yes" : "no"
        case .add: return String(Int(w)! + Int(p)!)
        case .sub: return String(Int(w)! - Int(p)!)
        case .mul: return String(Int(w)! * Int(p)!)
        case .nth:
            let a = Array(w)
            if p == "last" { return String(a.last!) }
            let n = Int(p.prefix { $0.isNumber })!
            return n <= a.count ? String(a[n - 1]) : ""
        case .lookup:
            for pair in w.split(separator: " ") where pair.first == p.first { return String(pair.dropFirst(2)) }
            return ""
        case .countBy:
            let n = Int(w)!, k = Int(p)!
            return "\(n) \(n + k) \(n + 2 * k)"
        case .wrap:
            let parts = p.split(separator: " ")
            return String(parts[0]) + w + String(parts[1])
        case .reverse: return String(w.reversed())
        case .sort: return String(w.sorted())
        case .upper: return w.uppercased()
        case .double: return String(w.flatMap { [$0, $0] })
        case .first: return String(w.prefix(Int(p)!))
        case .last: return String(w.suffix(Int(p)!))
        case .reverseAppend: return String(w.reversed()) + p
        }
    }
}

/// A family: one operation with its parameter values, six instruction templates and a pretraining phrasing.
struct Family: Sendable {
    var name: String
    var cluster: String
    var op: Op
    var params: [String]
    var templates: [String]
    var phrasing: String
}

extension TaskSuite {
    static func family(_ name: String) -> Family { families.first { $0.name == name }! }

    static let letters = (97...122).map { String(UnicodeScalar(UInt8($0))) }

    /// Every family. Clusters: cipher, append, prepend, replace, remove, count, contains, arithmetic, index,
    /// lookup, sequence, format, reorder, compose.
    static let families: [Family] = [
        Family(name: "shift", cluster: "cipher", op: .shift, params: (1...25).map(String.init), templates: [
            "Shift every letter of {w} forward by {p}.", "Apply a Caesar shift of {p} to {w}.", "Encode {w} by moving each letter {p} places on.",
            "Rotate the letters of {w} by {p}.", "Write {w} with each letter advanced {p} steps.", "What is {w} under a letter shift of {p}?"],
            phrasing: "{w} with each letter moved {p} on gives"),
        Family(name: "append", cluster: "append", op: .append, params: letters, templates: [
            "Add the letter {p} to the end of {w}.", "Append {p} to {w}.", "Write {w} followed by {p}.",
            "Put {p} after the word {w}.", "End the word {w} with an extra {p}.", "What do you get by adding {p} after {w}?"],
            phrasing: "{w} and then {p} gives"),
        Family(name: "prepend", cluster: "prepend", op: .prepend, params: letters, templates: [
            "Put the letter {p} in front of {w}.", "Add {p} at the start of the word {w}.", "Write {w} with {p} added before it.",
            "Prefix {w} with the letter {p}.", "Begin the word {w} with an extra {p}.", "What do you get by placing {p} before {w}?"],
            phrasing: "{w} with {p} in front gives"),
        Family(name: "replace", cluster: "replace", op: .replace,
               params: ["a", "e", "i", "o"].flatMap { v in ["x", "z", "q", "j", "k", "v", "w", "y", "h"].map { "\(v) by \($0)" } }, templates: [
            "In {w}, replace {p}.", "Rewrite {w}, substituting {p}.", "Change the word {w}: replace {p}.",
            "Swap letters in {w}: replace {p}.", "Take {w} and replace {p}.", "What is {w} after you replace {p}?"],
            phrasing: "{w} where we replace {p} gives"),
        Family(name: "remove", cluster: "remove", op: .remove, params: letters, templates: [
            "Delete every {p} from {w}.", "Remove the letter {p} from {w}.", "Write {w} without any {p}.",
            "Drop each {p} in {w}.", "Strip the letter {p} out of {w}.", "What is left of {w} once all {p} are gone?"],
            phrasing: "{w} without {p} gives"),
        Family(name: "count", cluster: "count", op: .count, params: letters, templates: [
            "How many times does {p} occur in {w}?", "Count the letter {p} in {w}.", "Give the number of {p} in the word {w}.",
            "Tell how often {p} appears in {w}.", "Count each {p} of {w}.", "What is the count of {p} in {w}?"],
            phrasing: "the number of {p} in {w} is"),
        Family(name: "contains", cluster: "contains", op: .contains, params: letters, templates: [
            "Does {w} contain the letter {p}? Answer yes or no.", "Is there a {p} in {w}?", "Check whether {w} has a {p}.",
            "Tell me if the letter {p} appears in {w}.", "Say yes if {w} includes {p}, else no.", "Can the letter {p} be found in {w}?"],
            phrasing: "there is a {p} in {w}, true? the answer is"),
        Family(name: "add", cluster: "arithmetic", op: .add, params: (1...15).map(String.init), templates: [
            "Add {p} to {w}.", "What is {w} plus {p}?", "Compute {w} + {p}.",
            "Increase {w} by {p}.", "Sum {w} and {p}.", "Give the total of {w} and {p}."],
            phrasing: "{w} and {p} more makes"),
        Family(name: "sub", cluster: "arithmetic", op: .sub, params: (1...15).map(String.init), templates: [
            "Subtract {p} from {w}.", "What is {w} minus {p}?", "Compute {w} - {p}.",
            "Decrease {w} by {p}.", "Take {p} away from {w}.", "Give {w} less {p}."],
            phrasing: "{w} with {p} taken away makes"),
        Family(name: "mul", cluster: "arithmetic", op: .mul, params: (2...9).map(String.init), templates: [
            "Multiply {w} by {p}.", "What is {w} times {p}?", "Compute {w} * {p}.",
            "Give {p} lots of {w}.", "Find the product of {w} and {p}.", "What do you get from {w} multiplied by {p}?"],
            phrasing: "{p} groups of {w} makes"),
        Family(name: "nth", cluster: "index", op: .nth, params: ["1st", "2nd", "3rd", "4th", "5th", "last"], templates: [
            "Give the {p} letter of {w}.", "Which letter is {p} in {w}?", "Name the {p} letter of the word {w}.",
            "Tell me the {p} character of {w}.", "What letter of {w} is the {p} one?", "Find the {p} letter in {w}."],
            phrasing: "the {p} letter of {w} is"),
        Family(name: "lookup", cluster: "lookup", op: .lookup, params: Array(letters.prefix(10)), templates: [
            "Given {w}, what is {p}?", "Look up {p} in {w}.", "From {w}, give the value of {p}.",
            "Read {w} and report {p}.", "In the list {w}, find {p}.", "What value does {p} have in {w}?"],
            phrasing: "when {w}, the {p} is"),
        Family(name: "countBy", cluster: "sequence", op: .countBy, params: (1...9).map(String.init), templates: [
            "Count by {p} from {w}, three numbers.", "Start at {w} and step by {p} twice.", "List {w} and the next two numbers going up by {p}.",
            "Write three terms from {w} in steps of {p}.", "Give the sequence from {w} adding {p} each time, three terms.",
            "What are three numbers from {w} counting in {p}s?"],
            phrasing: "going up from {w} in steps of {p} gives"),
        Family(name: "wrap", cluster: "format", op: .wrap,
               params: ["( )", "[ ]", "{ }", "< >", "\" \"", "' '", "* *", "_ _", "# #", "~ ~", "| |", "- -", "+ +", "= =", "@ @", "$ $", "% %", "^ ^", "& &", "! !"],
               templates: [
            "Wrap {w} in {p}.", "Surround the word {w} with {p}.", "Put {w} between {p}.",
            "Enclose {w} in the marks {p}.", "Write {w} inside {p}.", "How does {w} look when framed by {p}?"],
            phrasing: "{w} framed by {p} gives"),
        Family(name: "reverse", cluster: "reorder", op: .reverse, params: ["-"], templates: [
            "Reverse {w}.", "Write {w} backwards.", "Spell {w} from the last letter to the first.",
            "Give {w} in reverse order.", "Flip the letters of {w}.", "What is {w} read right to left?"],
            phrasing: "{w} backwards gives"),
        Family(name: "sort", cluster: "reorder", op: .sort, params: ["-"], templates: [
            "Sort the letters of {w}.", "Put the letters of {w} in alphabetical order.", "Arrange {w} alphabetically by letter.",
            "Order the characters of {w} from a to z.", "Rewrite {w} with its letters sorted.", "What is {w} with letters in a-z order?"],
            phrasing: "{w} with letters in order gives"),
        Family(name: "upper", cluster: "reorder", op: .upper, params: ["-"], templates: [
            "Write {w} in capital letters.", "Uppercase {w}.", "Convert {w} to upper case.",
            "Capitalise every letter of {w}.", "Give {w} in block capitals.", "How is {w} written all in caps?"],
            phrasing: "{w} in capitals gives"),
        Family(name: "double", cluster: "reorder", op: .double, params: ["-"], templates: [
            "Double every letter of {w}.", "Write each letter of {w} twice.", "Repeat each character of {w}.",
            "Stutter {w}: every letter two times.", "Spell {w} with doubled letters.", "What is {w} with all letters doubled?"],
            phrasing: "{w} with every letter twice gives"),
        Family(name: "first", cluster: "reorder", op: .first, params: ["1", "2", "3", "4"], templates: [
            "Give the first {p} letters of {w}.", "Keep only the first {p} letters of {w}.", "Cut {w} down to its first {p} letters.",
            "Write the opening {p} letters of {w}.", "Take {p} letters from the start of {w}.", "What are the first {p} letters of {w}?"],
            phrasing: "the first {p} of {w} gives"),
        Family(name: "last", cluster: "reorder", op: .last, params: ["1", "2", "3", "4"], templates: [
            "Give the last {p} letters of {w}.", "Keep only the last {p} letters of {w}.", "Cut {w} down to its final {p} letters.",
            "Write the closing {p} letters of {w}.", "Take {p} letters from the end of {w}.", "What are the last {p} letters of {w}?"],
            phrasing: "the last {p} of {w} gives"),
        Family(name: "reverseAppend", cluster: "compose", op: .reverseAppend, params: letters, templates: [
            "Reverse {w}, then add {p} at the end.", "Write {w} backwards followed by {p}.", "Flip {w} and append {p}.",
            "Spell {w} in reverse and end with {p}.", "Reverse the word {w} and put {p} after it.", "What is {w} reversed with {p} appended?"],
            phrasing: "{w} backwards and then {p} gives"),
    ]
}

/// Every input the training side can give a task that edits letter c: each training word, the word with c
/// inserted at any position, and the word with every c removed (a superset of what `input` draws). Made once
/// per letter and kept.
final class TrainingInputs: @unchecked Sendable {
    static let shared = TrainingInputs()
    private var byLetter: [Character: Set<String>] = [:]
    private let lock = NSLock()

    func inputs(editing c: Character, words: [String]) -> Set<String> {
        lock.lock(); defer { lock.unlock() }
        if let hit = byLetter[c] { return hit }
        var out = Set<String>()
        for w in words {
            out.insert(w)
            let a = Array(w)
            for i in 0...a.count { var b = a; b.insert(c, at: i); out.insert(String(b)) }
            let dropped = a.filter { $0 != c }
            out.insert(dropped.isEmpty ? "z" : String(dropped))
        }
        byLetter[c] = out
        return out
    }
}
