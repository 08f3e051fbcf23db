// Collects notices for a window and hands them out as one batch, so a crash storm becomes one
// message rather than hundreds. The first notice of a batch opens the window; the batch is due
// when the window has passed. Pure, on time passed in (tests use a virtual clock).
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <vector>

#include "notify/notice.hpp"

namespace megane::daemon {

struct NoticeBatch {
  std::vector<Notice> notices;
  std::size_t omitted = 0;  // notices past the batch's cap, counted only
  std::chrono::steady_clock::duration span{};  // first to last notice

  std::size_t size() const noexcept { return notices.size() + omitted; }
};

class NoticeBatcher {
 public:
  using Clock = std::chrono::steady_clock;

  // `max_notices` bounds the memory of a storm; later notices of the batch are only counted.
  explicit NoticeBatcher(std::chrono::milliseconds window, std::size_t max_notices = 500);

  // A new window applies from the next batch; the open one keeps its deadline.
  void set_window(std::chrono::milliseconds window) noexcept { window_ = window; }
  void add(Notice notice, Clock::time_point now);
  // When the open batch is due; nullopt when nothing is collected.
  std::optional<Clock::time_point> due() const noexcept { return due_; }
  bool empty() const noexcept { return !due_; }
  // The collected batch (empty if none); a new one opens with the next add().
  NoticeBatch take();

 private:
  std::chrono::milliseconds window_;
  std::size_t max_notices_;
  NoticeBatch batch_;
  std::optional<Clock::time_point> due_;
  Clock::time_point first_{};
};

// Discord's limit of a message's content (counted in UTF-16 units; bytes are never fewer).
inline constexpr std::size_t discord_content_limit = 2000;

// The message for a batch: a header naming the bot and the count, then one line per distinct
// notice in order of first appearance ("(x5)" when it happened 5 times), `dropped` notices
// lost to a full queue said first. Never longer than `limit` bytes: lines that do not fit are
// left out and counted ("... and 12 more lines"); one overlong line is cut. Valid UTF-8 in,
// valid UTF-8 out.
std::string format_batch(const NoticeBatch& batch, std::string_view bot, std::uint64_t dropped,
                         std::size_t limit = discord_content_limit);

}  // namespace megane::daemon
