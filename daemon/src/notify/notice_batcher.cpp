#include "notify/notice_batcher.hpp"

#include <algorithm>
#include <map>
#include <utility>
#include <string>

#include <fmt/format.h>

namespace megane::daemon {

namespace {

// No line may take more than this, so one odd exit reason cannot crowd out the rest.
constexpr std::size_t max_line_bytes = 400;

// The longest prefix of `text` of at most `max` bytes that does not split a UTF-8 sequence.
std::string_view utf8_prefix(std::string_view text, std::size_t max) {
  if (text.size() <= max) return text;
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  return text.substr(0, n);
}

std::string cut_line(std::string_view line) {
  if (line.size() <= max_line_bytes) return std::string(line);
  return std::string(utf8_prefix(line, max_line_bytes - 3)) + "...";
}

std::string more_lines(std::size_t n) { return fmt::format("... and {} more line{}", n, n == 1 ? "" : "s"); }

}  // namespace

NoticeBatcher::NoticeBatcher(std::chrono::milliseconds window, std::size_t max_notices)
    : window_(window), max_notices_(std::max<std::size_t>(1, max_notices)) {}

void NoticeBatcher::add(Notice notice, Clock::time_point now) {
  if (!due_) {
    due_ = now + window_;
    first_ = now;
  }
  batch_.span = now - first_;
  if (batch_.notices.size() < max_notices_) batch_.notices.push_back(std::move(notice));
  else ++batch_.omitted;
}

NoticeBatch NoticeBatcher::take() {
  due_.reset();
  return std::exchange(batch_, NoticeBatch{});
}

std::string format_batch(const NoticeBatch& batch, std::string_view bot, std::uint64_t dropped, std::size_t limit) {
  // Distinct lines in order of first appearance, with how often each came.
  std::vector<std::pair<std::string_view, std::size_t>> lines;
  std::map<std::string_view, std::size_t> index;
  for (const Notice& n : batch.notices) {
    auto [it, fresh] = index.emplace(n.text, lines.size());
    if (fresh) lines.emplace_back(n.text, 1);
    else ++lines[it->second].second;
  }

  const std::size_t total = batch.size();
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(batch.span).count();
  std::string out = fmt::format("**{}**: {} event{}", bot, total, total == 1 ? "" : "s");
  if (total > 1 && secs > 0) out += fmt::format(" in {} s", secs);
  out = std::string(utf8_prefix(out, limit));

  std::vector<std::string> body;
  if (dropped > 0)
    body.push_back(fmt::format("{} notification{} dropped (the send queue was full)", dropped, dropped == 1 ? "" : "s"));
  for (const auto& [text, count] : lines)
    body.push_back(count == 1 ? cut_line(text) : cut_line(fmt::format("{} (x{})", text, count)));
  // Notices past the batch's cap have no text: they count as lines left out.
  std::size_t left_out = batch.omitted;

  for (std::size_t i = 0; i < body.size(); ++i) {
    const std::size_t after = body.size() - i - 1 + left_out;  // lines still to come after this one
    const std::size_t need = 1 + body[i].size() + (after > 0 ? 1 + more_lines(after + 1).size() : 0);
    if (out.size() + need > limit) {
      left_out += body.size() - i;
      break;
    }
    out += '\n';
    out += body[i];
  }
  if (left_out > 0) {
    const std::string tail = more_lines(left_out);
    if (out.size() + 1 + tail.size() <= limit) out += "\n" + tail;
  }
  return out;
}

}  // namespace megane::daemon
